// The package's "dnn-native/binding" entry: the native module itself (typed by binding.d.ts at the package root).
import native from './native';

export = native;
