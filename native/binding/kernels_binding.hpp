#pragma once
#include <napi.h>

namespace dnn::binding {

// The per-layer kernels: linearForward, linearActivationForward, activationForward, activationBackward,
// linearBackward, binaryCrossEntropy[FromLogits|Backward], sigmoidCrossEntropyBackward, sgdUpdate.
void RegisterKernels(Napi::Env env, Napi::Object exports);

// class Network: a whole model's training step in one call (native/kernels/network.hpp); parameterCount,
// workspaceLength, maskLength and networkLayout: the sizes and offsets of its buffers.
void RegisterNetwork(Napi::Env env, Napi::Object exports);

// class RandomState: numpy's legacy RandomState (native/kernels/random.hpp).
void RegisterRandom(Napi::Env env, Napi::Object exports);

}  // namespace dnn::binding
