// What a model knows about its data besides its weights, stored in the model file and used by predict, evaluate and
// the ONNX export: the task, the classes its outputs stand for (labels as the user gave them), the feature names,
// the input scaling learnt from the training data, and, for regression, the target scaling.
import { describe } from '../checks';
import type { Label } from '../estimators/labels';
import { type InputScaling, scalingFromJson, scalingToJson } from '../estimators/preprocessing';

export type Task = 'classification' | 'regression';

export interface TargetScaling {
  /** y = y' * scale + offset: the network learns y' = (y - offset) / scale */
  offset: number;
  scale: number;
}

export interface ModelMetadata {
  task: Task | null;
  /** the label of each class index (softmax) or [negative, positive] (one sigmoid output) */
  classes: Label[] | null;
  featureNames: string[] | null;
  inputScaling: InputScaling | null;
  targetScaling: TargetScaling | null;
}

export function emptyMetadata(): ModelMetadata {
  return { task: null, classes: null, featureNames: null, inputScaling: null, targetScaling: null };
}

const KEYS = ['task', 'classes', 'featureNames', 'inputScaling', 'targetScaling'] as const;

/** Checks metadata against a model's input size and outputs; every failure names the field. */
export function requireMetadata(
  value: Partial<ModelMetadata>,
  inputs: number,
  outputs: number,
  output: string,
  name = 'metadata',
): ModelMetadata {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  for (const key of Object.keys(value))
    if (!(KEYS as readonly string[]).includes(key))
      throw new TypeError(`${name}.${key} is not a metadata field (${KEYS.join(', ')})`);
  const out = emptyMetadata();
  if (value.task != null) {
    if (value.task !== 'classification' && value.task !== 'regression')
      throw new TypeError(`${name}.task must be 'classification' or 'regression', got ${describe(value.task)}`);
    if ((value.task === 'regression') !== (output === 'linear'))
      throw new RangeError(`${name}.task ${value.task} does not fit a ${output} output`);
    out.task = value.task;
  }
  if (value.classes != null) {
    const classes = value.classes;
    const expected = output === 'softmax' ? outputs : output === 'sigmoid' && outputs === 1 ? 2 : -1;
    if (!Array.isArray(classes) || classes.length !== expected)
      throw new RangeError(
        `${name}.classes must list ${expected < 0 ? 'no' : expected} labels for this output, got ${describe(classes)}`,
      );
    if (!classes.every((c) => typeof c === 'string' || (typeof c === 'number' && Number.isFinite(c))))
      throw new TypeError(`${name}.classes must hold strings or finite numbers`);
    if (new Set(classes).size !== classes.length) throw new RangeError(`${name}.classes holds a label twice`);
    out.classes = [...classes];
  }
  if (value.featureNames != null) {
    const names = value.featureNames;
    if (!Array.isArray(names) || names.length !== inputs || !names.every((n) => typeof n === 'string'))
      throw new RangeError(`${name}.featureNames must be ${inputs} strings, got ${describe(names)}`);
    if (new Set(names).size !== names.length) throw new RangeError(`${name}.featureNames holds a name twice`);
    out.featureNames = [...names];
  }
  if (value.inputScaling != null) {
    const scaling = value.inputScaling;
    out.inputScaling = scalingFromJson(
      { kind: scaling.kind, offset: Array.from(scaling.offset ?? []), scale: Array.from(scaling.scale ?? []) },
      inputs,
      name,
    );
  }
  if (value.targetScaling != null) {
    const t = value.targetScaling;
    if (output !== 'linear') throw new RangeError(`${name}.targetScaling is for regression (a linear output)`);
    if (!(Number.isFinite(t.offset) && Number.isFinite(t.scale) && t.scale > 0))
      throw new RangeError(`${name}.targetScaling needs a finite offset and a positive scale`);
    out.targetScaling = { offset: t.offset, scale: t.scale };
  }
  return out;
}

export function metadataToJson(metadata: ModelMetadata): object {
  return { ...metadata, inputScaling: metadata.inputScaling ? scalingToJson(metadata.inputScaling) : null };
}

/** The stored form back, checked (errors name the file through `where`). */
export function metadataFromJson(
  value: unknown,
  inputs: number,
  outputs: number,
  output: string,
  where: string,
): ModelMetadata {
  try {
    return requireMetadata((value ?? {}) as Partial<ModelMetadata>, inputs, outputs, output, 'metadata');
  } catch (error) {
    throw new Error(`${where}: corrupt: ${(error as Error).message}`);
  }
}
