#!/usr/bin/env python3
"""The tutorial's own numpy code, timed on the benchmark's workloads: the baseline dnn-native is compared with.

The functions below are the deeplearning.ai "Deep Neural Network step by step" code as the tutorial writes it
(caches of (A_prev, W, b) and Z, relu/sigmoid helpers, dAL = -(Y/AL - (1-Y)/(1-AL)), dA0 computed, a new
parameter dict per update), with one change: a dtype argument, so the same code runs in float64 (the tutorial)
and float32 (every array created in that dtype; checked after the warm-up).

One iteration = L_model_forward + compute_cost + L_model_backward + update_parameters on the full batch, the same
definition as the native step. GFLOP/s uses the native bench's count, 2*m*(2*sum n_l*n_{l-1} + sum_{l>=2}
n_l*n_{l-1}), so the two compare directly; numpy also does dA0 (2*m*n_1*n_0 more), which is not counted.

Usage: python3 bench/numpy_baseline.py [--quick] [--json PATH|-] [--only W1,W2] [--dtype float64,float32]
  --json -   prints the JSON on stdout and the markdown table on stderr.
OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE and the like are read from the environment as they are,
never set here; the output records them and numpy's BLAS configuration.
"""
import argparse
import datetime
import io
import json
import os
import platform
import statistics
import sys
import time
import contextlib

import numpy as np

WORKLOADS = [
    ("W1", [4, 3, 2, 2, 1], 4),
    ("W2", [12288, 20, 7, 5, 1], 209),
    ("W3", [784, 128, 64, 1], 1024),
    ("W4", [2048, 1024, 512, 1], 2048),
]
LEARNING_RATE = 0.0075


# ----------------------------------------------------------------------------- the tutorial's code

def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def initialize_parameters_deep(layer_dims, dtype, seed=1):
    # The course's application initialiser (randn / sqrt(n_prev)); b starts at zero.
    np.random.seed(seed)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        W = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["W" + str(l)] = W.astype(dtype)
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1), dtype=dtype)
    return parameters


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -1 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    cost = np.squeeze(cost)
    return cost


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, current_cache, "sigmoid")
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters


def train_iteration(X, Y, parameters, learning_rate):
    """One iteration of the tutorial's L_layer_model loop body."""
    AL, caches = L_model_forward(X, parameters)
    cost = compute_cost(AL, Y)
    grads = L_model_backward(AL, Y, caches)
    parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, cost


# ----------------------------------------------------------------------------- benchmark

def iteration_flops(dims, m):
    weights = [dims[l] * dims[l - 1] for l in range(1, len(dims))]
    return 2.0 * m * (2 * sum(weights) + sum(weights[1:]))


def make_data(dims, m, dtype, seed=0):
    rng = np.random.RandomState(seed)
    # The course's loaders build X as images.reshape(m, -1).T, a Fortran-ordered (n_x, m) array: one example per
    # contiguous column, the same layout as dnn-native's column-major matrices.
    X = rng.rand(m, dims[0]).astype(dtype).T
    Y = (rng.rand(1, m) > 0.5).astype(dtype)
    return X, Y


def measure(run, sample_seconds, repeats, warmup_seconds):
    """Warm up, choose iterations per repeat so one lasts sample_seconds, return per-iteration times (s)."""
    start = time.perf_counter()
    calls = 0
    while True:
        t0 = time.perf_counter()
        run()
        one = time.perf_counter() - t0
        calls += 1
        if one >= sample_seconds or (calls >= 2 and time.perf_counter() - start >= warmup_seconds):
            break
    per_repeat = max(1, int(round(sample_seconds / max(one, 1e-9))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(per_repeat):
            run()
        times.append((time.perf_counter() - t0) / per_repeat)
    return times, per_repeat


def bench_workload(name, dims, m, dtype, options):
    X, Y = make_data(dims, m, dtype)
    state = {"parameters": initialize_parameters_deep(dims, dtype), "cost": None}

    def run():
        state["parameters"], state["cost"] = train_iteration(X, Y, state["parameters"], LEARNING_RATE)

    run()
    wrong = [key for key, value in state["parameters"].items() if value.dtype != np.dtype(dtype)]
    if wrong:
        raise RuntimeError(f"{name} {dtype}: parameters {wrong} changed dtype; the {dtype} run would not be {dtype}")
    repeats = options.repeats if name != "W4" else min(options.repeats, 3 if options.quick else 5)
    times, per_repeat = measure(run, options.sample_seconds, repeats, options.warmup_seconds)
    if not np.isfinite(state["cost"]):
        print(f"warning: {name} {dtype}: non-finite cost", file=sys.stderr)
    median = statistics.median(times)
    flops = iteration_flops(dims, m)
    return {
        "workload": name,
        "dims": dims,
        "m": m,
        "dtype": dtype,
        "median_ms": median * 1e3,
        "min_ms": min(times) * 1e3,
        "repeats": len(times),
        "iterations_per_repeat": per_repeat,
        "flops": flops,
        "gflops": flops / median * 1e-9,
        "final_cost": float(state["cost"]),
    }


def blas_config():
    config = {}
    try:
        config["show_config"] = np.show_config(mode="dicts")
    except TypeError:  # numpy < 1.25 has no mode argument: keep its printed text
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            np.show_config()
        config["show_config"] = buffer.getvalue()
    try:
        import threadpoolctl  # optional: tells the BLAS actually loaded and its thread count

        config["threadpoolctl"] = threadpoolctl.threadpool_info()
    except ImportError:
        config["threadpoolctl"] = None
    return config


def machine_info():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    env = {key: value for key, value in os.environ.items()
           if key.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO_", "BLIS_"))}
    try:
        with open("/proc/loadavg") as loadavg:  # other work on a shared machine skews every number
            load_average = " ".join(loadavg.read().split()[:3])
    except OSError:
        load_average = None
    return {
        "load_average": load_average,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "env": env,
    }


def blas_summary(config):
    info = config.get("threadpoolctl")
    if info:
        return ", ".join(f"{entry.get('internal_api')} {entry.get('version')} ({entry.get('num_threads')} threads)"
                         for entry in info)
    show = config.get("show_config")
    if isinstance(show, dict):
        blas = show.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    return "see show_config"


def markdown(results, machine, config, options):
    lines = [
        f"# numpy baseline: the tutorial's code ({'quick' if options.quick else 'full'})",
        "",
        f"{machine['date']} · {machine['cpu']} · {machine['cores']} cores · numpy {machine['numpy']} · "
        f"BLAS: {blas_summary(config)}" + "".join(f" · {k}={v}" for k, v in sorted(machine["env"].items()))
        + (f" · load average at start {machine['load_average']}" if machine["load_average"] else ""),
        "",
        "One iteration = L_model_forward + compute_cost + L_model_backward (with dA0) + update_parameters. "
        "Median of timed repeats after warm-up; GFLOP/s counts 2·m·(2·Σ n_l·n_{l-1} + Σ_{l≥2} n_l·n_{l-1}).",
        "",
        "| dtype | workload | ms / iter | min ms | GFLOP/s |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['dtype']} | {r['workload']} {r['dims']} m={r['m']} | {r['median_ms']:.4f} | "
                     f"{r['min_ms']:.4f} | {r['gflops']:.2f} |")
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--json", metavar="PATH", help="write JSON results to PATH ('-' for stdout)")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W2,W3")
    parser.add_argument("--dtype", default="float64,float32", help="float64, float32 or both (comma-separated)")
    options = parser.parse_args(argv)
    options.only = [w for w in options.only.split(",") if w] if options.only else None
    options.dtypes = [d for d in options.dtype.split(",") if d]
    for dtype in options.dtypes:
        if dtype not in ("float64", "float32"):
            parser.error(f"unknown dtype {dtype}")
    options.sample_seconds, options.repeats, options.warmup_seconds = (0.02, 3, 0.02) if options.quick else (0.1, 7, 0.1)
    return options


def main(argv=None):
    options = parse_args(sys.argv[1:] if argv is None else argv)
    machine = machine_info()
    config = blas_config()
    results = []
    for dtype in options.dtypes:
        for name, dims, m in WORKLOADS:
            if options.only and name not in options.only:
                continue
            print(f"  numpy {dtype} {name} ...", file=sys.stderr)
            results.append(bench_workload(name, dims, m, dtype, options))
    table = markdown(results, machine, config, options)
    document = {
        "benchmark": "numpy baseline (the tutorial's code)",
        "quick": options.quick,
        "iteration": "L_model_forward + compute_cost + L_model_backward (incl. dA0) + update_parameters, full batch",
        "flops_formula": "2*m*(2*sum_l n_l*n_{l-1} + sum_{l>=2} n_l*n_{l-1})",
        "x_layout": "Fortran-ordered (n_x, m), as the course's reshape(m, -1).T",
        "machine": machine,
        "blas": config,
        "results": results,
    }
    if options.json == "-":
        sys.stderr.write(table)
        json.dump(document, sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table)
        if options.json:
            with open(options.json, "w") as out:
                json.dump(document, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
