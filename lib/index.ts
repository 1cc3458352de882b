// dnn-native: deep neural networks on the CPU at the speed of the machine's BLAS.

export { type CsvData, type CsvFeatures, type CsvOptions, loadCsv, loadCsvFeatures } from './data/csv';
export { readIdx, readIdxDataset, readIdxImages, readIdxLabels, writeIdx } from './data/idx';
export {
  type BinaryTask,
  binaryTask,
  labelCounts,
  loadMnist,
  type MnistData,
  type MnistOptions,
  mnistDataDir,
  oneHot,
} from './data/mnist';
export {
  Classifier,
  type EstimatorFitOptions,
  type EstimatorOptions,
  type Label,
  Regressor,
  type Rows,
} from './estimators/estimator';
export type { InputScaling, ScalingKind } from './estimators/preprocessing';
export { type DType, type FloatArray, Matrix } from './matrix';
export { type GradientCheckOptions, gradientCheck } from './model/gradient-check';
export type { ModelMetadata, TargetScaling, Task } from './model/metadata';
export {
  type Evaluation,
  type FitAsyncOptions,
  type FitOptions,
  type FitResult,
  type Labels,
  Model,
  type ModelConfig,
  type ModelOptions,
  NonFiniteCostError,
  type Progress,
} from './model/model';
export { modelToOnnx, type OnnxExtras, saveOnnx } from './model/onnx';
export type { CheckpointOptions, HiddenActivation, OptimizerName, OutputActivation } from './model/options';
export {
  costPlotPng,
  costPlotSvg,
  type PlotData,
  type PlotFileOptions,
  type PlotOptions,
  plotCosts,
} from './model/plot';
export { type InitScheme, RandomState } from './random';
export {
  accuracy,
  computeCost,
  type Grads,
  type InitializeOptions,
  initializeParametersDeep,
  type LinearActivationCache,
  type LinearCache,
  linearActivationBackward,
  linearActivationForward,
  linearBackward,
  linearForward,
  modelBackward,
  modelForward,
  type Parameters,
  predict,
  reluBackward,
  sigmoidBackward,
  type TrainModelOptions,
  trainModel,
  updateParameters,
} from './tutorial';

import native from './native';

/** The BLAS in use: OpenBLAS's config string, the kernel it chose for this CPU, its thread count. */
export const blasInfo = native.blasInfo;
/** OpenBLAS's thread count. */
export const getNumThreads = native.getNumThreads;
/** Sets OpenBLAS's thread count for the whole process. */
export const setNumThreads = native.setNumThreads;
