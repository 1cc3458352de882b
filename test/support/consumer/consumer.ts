// A TypeScript project that uses the installed package's public types. test/types.test.ts compiles it, with no
// emit, as an ES module and as CommonJS, strict, with TypeScript's `types: []` (no @types/node unless the package
// brings it) and no skipLibCheck, so that every public .d.ts is checked too.
import { blasInfo, type FitAsyncOptions, Matrix, Model } from 'dnn-native';
import binding, { Activation, type ActivationCode, type BlasInfo, Network, type NetworkSpec } from 'dnn-native/binding';

const X: Matrix = Matrix.fromRows([
  [0, 1],
  [1, 0],
]);
const model = new Model({ layerDims: [2, 1] });
const options: FitAsyncOptions = { signal: new AbortController().signal };
export const training: Promise<number[]> = model.fitAsync(X, Matrix.fromRows([[0, 1]]), options).then((r) => r.costs);
export const predicted: Float32Array | Float64Array = model.predict(X).data;

const info: BlasInfo = binding.blasInfo();
export const same: boolean = info.coreName === blasInfo().coreName;
const relu: ActivationCode = Activation.relu;
export const spec: Pick<NetworkSpec, 'layerDims' | 'activations'> = { layerDims: [2, 1], activations: [relu] };
export const NetworkClass: typeof Network = Network;

// the declarations are real types, not `any`: each misuse below must be an error
// @ts-expect-error: blasInfo takes no argument
blasInfo(1);
// @ts-expect-error: library is a string
export const wrong: number = info.library;
// @ts-expect-error: an activation code is 0..5
export const badCode: ActivationCode = 9;
