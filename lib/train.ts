// The tutorial's L_layer_model and predict, on top of the Model's fast path.
import { describe, requireDimension, requireLayerDims } from './checks';
import type { Matrix } from './matrix';
import { Model } from './model';
import type { InitScheme } from './random';
import { layerCount, modelForward, type Parameters } from './tutorial';
import { requireMatrix, requireShape } from './validate';

export interface TrainModelOptions {
  learningRate?: number;
  numIterations?: number;
  /** np.random.seed(seed) before initialising, as L_layer_model's np.random.seed(1) */
  seed?: number;
  /** 'small' (randn·0.01, initialize_parameters_deep: the default) | 'lecun' (the course's application) | 'he' */
  init?: InitScheme;
  costEvery?: number;
  /** print "Cost after iteration i: c" at every recorded cost, as print_cost=True */
  printCost?: boolean;
}

/**
 * L_layer_model(X, Y, layers_dims, learning_rate, num_iterations, print_cost) -> { parameters, costs }.
 * Full-batch gradient descent in X's dtype; the cost is computed before each update and recorded at iterations
 * 0, costEvery, 2·costEvery, ... and at the last iteration.
 */
export function trainModel(
  X: Matrix,
  Y: Matrix,
  layerDims: readonly number[],
  options: TrainModelOptions = {},
): { parameters: Parameters; costs: number[]; costAt: number[] } {
  requireMatrix(X, 'X');
  requireLayerDims(layerDims, 'layerDims');
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  if (options.numIterations !== undefined) requireDimension(options.numIterations, 'options.numIterations');
  if (options.costEvery !== undefined) requireDimension(options.costEvery, 'options.costEvery');
  const model = new Model({ layerDims, dtype: X.dtype, init: options.init ?? 'small', seed: options.seed ?? 1 });
  const result = model.fit(X, Y, {
    learningRate: options.learningRate ?? 0.0075,
    iterations: options.numIterations ?? 3000,
    costEvery: options.costEvery ?? 100,
    onProgress: options.printCost
      ? ({ iteration, cost }) => console.log(`Cost after iteration ${iteration - 1}: ${cost}`)
      : undefined,
  });
  const parameters: Parameters = {};
  for (const [key, view] of Object.entries(model.parameters)) parameters[key] = view.clone();
  return { parameters, costs: result.costs, costAt: result.costAt };
}

/** predict(X, parameters) -> (n_L, m) of 0/1, 1 where the probability exceeds 0.5. */
export function predict(X: Matrix, parameters: Parameters): Matrix {
  layerCount(parameters);
  const [AL] = modelForward(X, parameters);
  const p = AL.data;
  for (let i = 0; i < p.length; i++) p[i] = p[i] > 0.5 ? 1 : 0;
  return AL;
}

/** The fraction of entries where predictions equal labels. */
export function accuracy(predictions: Matrix, Y: Matrix): number {
  requireMatrix(predictions, 'predictions');
  requireMatrix(Y, 'Y');
  requireShape(Y, 'Y', predictions.rows, predictions.cols, '(the shape of predictions)');
  let correct = 0;
  for (let i = 0; i < Y.data.length; i++) if (predictions.data[i] === Y.data[i]) correct++;
  return correct / Y.data.length;
}
