// dnn-native: deep neural networks on the CPU at the speed of the machine's BLAS.
export { Matrix, type DType, type FloatArray } from './matrix';
export { RandomState, type InitScheme } from './random';
export {
  initializeParametersDeep,
  linearForward,
  linearActivationForward,
  modelForward,
  computeCost,
  linearBackward,
  reluBackward,
  sigmoidBackward,
  linearActivationBackward,
  modelBackward,
  updateParameters,
  type Parameters,
  type Grads,
  type LinearCache,
  type LinearActivationCache,
  type InitializeOptions,
} from './tutorial';
export { Model, NonFiniteCostError, gradientCheck, type ModelOptions, type ModelConfig, type Labels, type FitOptions, type FitAsyncOptions, type FitResult, type Progress } from './model';
export type { HiddenActivation, OutputActivation, OptimizerName } from './config';
export { trainModel, predict, accuracy, type TrainModelOptions } from './train';
export { loadMnist, binaryTask, oneHot, labelCounts, mnistDataDir, type MnistData, type MnistOptions, type BinaryTask } from './data/mnist';
export { loadCsv, loadCsvFeatures, type CsvData, type CsvFeatures, type CsvOptions } from './data/csv';
export { readIdx, readIdxImages, readIdxLabels, writeIdx } from './data/idx';
export { plotCosts, costPlotPng, costPlotSvg, type PlotData, type PlotOptions, type PlotFileOptions } from './plot';
import native from './binding';

/** The BLAS in use: OpenBLAS's config string, the kernel it chose for this CPU, its thread count. */
export const blasInfo = native.blasInfo;
/** OpenBLAS's thread count. */
export const getNumThreads = native.getNumThreads;
/** Sets OpenBLAS's thread count for the whole process. */
export const setNumThreads = native.setNumThreads;
