// Gradient checking, as the course defines it (gradient_check_n): backpropagation's gradient against centred
// differences of the training cost, on a float64 twin of the model.
import { describe, requireDimension, requirePositiveNumber } from '../checks';
import type { Matrix } from '../matrix';
import { type Labels, Model } from './model';

export interface GradientCheckOptions {
  /** the finite-difference step (default 1e-7) */
  epsilon?: number;
  /** check an evenly spaced subset of at most this many parameters (default: all) */
  maxParameters?: number;
}

/**
 * ||grad - gradapprox|| / (||grad|| + ||gradapprox||), where gradapprox comes from (J(θ + ε) - J(θ - ε)) / 2ε of the
 * training cost (with the L2 term, dropout off) and grad from backpropagation. Below about 1e-7: the gradients are right.
 */
export function gradientCheck(
  model: Model,
  X: Matrix,
  Y: Labels,
  options: GradientCheckOptions = {},
): { difference: number; checked: number } {
  if (!(model instanceof Model)) throw new TypeError(`model must be a Model, got ${describe(model)}`);
  model.requireIdle('gradientCheck');
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object { epsilon, maxParameters }, got ${describe(options)}`);
  const targets = model.targets(X, Y);
  const epsilon = requirePositiveNumber(options.epsilon ?? 1e-7, 'options.epsilon');
  const parameterCount = model.parameterCount;
  const maxParameters =
    options.maxParameters === undefined
      ? parameterCount
      : requireDimension(options.maxParameters, 'options.maxParameters');
  const twin = Model.fromConfig({ ...model.config, dtype: 'float64' });
  try {
    return checkTwin(twin, model, X, targets, epsilon, maxParameters);
  } finally {
    twin.dispose();
  }
}

function checkTwin(
  twin: Model,
  model: Model,
  X: Matrix,
  targets: Matrix,
  epsilon: number,
  maxParameters: number,
): { difference: number; checked: number } {
  const count = model.parameterCount;
  twin.setFlatParameters(Float64Array.from(model.flatParameters));
  const m = X.cols;
  const x = model.scaledInputs(X).astype('float64').data,
    y = targets.astype('float64').data;
  const network = twin.networkFor(m);
  const theta = twin.flatParameters;
  network.forward(x, m, false);
  network.backward(x, y, m);
  const cost = () => {
    network.forward(x, m, false);
    return network.cost(y, m, true);
  };
  const stride = Math.max(1, Math.floor(count / maxParameters));
  let diff = 0,
    gradNorm = 0,
    approxNorm = 0,
    checked = 0;
  for (let i = 0; i < count && checked < maxParameters; i += stride, checked++) {
    const saved = theta[i];
    theta[i] = saved + epsilon;
    const plus = cost();
    theta[i] = saved - epsilon;
    const minus = cost();
    theta[i] = saved;
    const approx = (plus - minus) / (2 * epsilon),
      grad = twin.gradients[i];
    diff += (grad - approx) ** 2;
    gradNorm += grad * grad;
    approxNorm += approx * approx;
  }
  const denominator = Math.sqrt(gradNorm) + Math.sqrt(approxNorm);
  return { difference: denominator === 0 ? 0 : Math.sqrt(diff) / denominator, checked };
}
