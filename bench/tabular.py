#!/usr/bin/python3
"""dnn-native's command line with its defaults against scikit-learn on real tabular data, in one run.

For each data set and each seed S: a seeded train/test split (80/20, stratified for classifiers), written as
train.csv and test.csv (header row, label last; iris and wine with their class names as labels, to exercise string
labels) to a temporary directory; then

  dnn-native: node dist/lib/cli/index.js train --data train.csv --output m.dnn --seed S   (nothing else, except
              --task regression for diabetes, whose targets are whole numbers), then `evaluate` on test.csv;
  scikit-learn, on the same split: make_pipeline(StandardScaler(), MLPClassifier(random_state=S)) and
              MLPClassifier(random_state=S) on the raw features for classifiers;
              make_pipeline(StandardScaler(), Ridge()) and make_pipeline(StandardScaler(), MLPRegressor(random_state=S))
              for regression.

It prints one markdown table: test accuracy (classifiers) or test R^2 (regression) as mean +- standard deviation
over the seeds, and the wall time per fit. dnn-native's time is the `train` process's wall time (Node start-up,
CSV parsing and saving included) and, in brackets, the fit alone as the command reports it; scikit-learn's is the
`fit` call.

Usage: /usr/bin/python3 bench/tabular.py [--seeds 5] [--only breast_cancer,wine] [--json PATH]
                                         [--cli-flags "--batch-size 32 --learning-rate 0.01"]
  --cli-flags  extra flags for `dnn-native train` (to try a change of default); the table says they were given.
Needs scikit-learn (Debian's python3-sklearn: run with /usr/bin/python3) and the built CLI (`npm run build:ts`).
Installs nothing, downloads nothing: California housing is used only if scikit-learn already has it cached.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

try:
    import numpy as np
    import sklearn
    from sklearn import datasets
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError as error:
    sys.stderr.write(
        "bench/tabular.py needs numpy and scikit-learn, which this python (%s) cannot import: %s\n"
        "Install them (Debian/Ubuntu: apt-get install python3-sklearn, then run /usr/bin/python3 bench/tabular.py; "
        "or pip install scikit-learn) and run again. Nothing was measured.\n" % (sys.executable, error)
    )
    sys.exit(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "dist", "lib", "cli", "index.js")
TEST_SIZE = 0.2


# ----------------------------------------------------------------------------- data sets


def load(name):
    """(X, y, task, class_names or None, feature_names) for a data set, or None when it is not available offline."""
    if name == "breast_cancer":
        d = datasets.load_breast_cancer()
        return d.data, d.target, "classification", None, list(d.feature_names)
    if name in ("wine", "iris"):
        d = datasets.load_wine() if name == "wine" else datasets.load_iris()
        return d.data, d.target, "classification", [str(c) for c in d.target_names], list(d.feature_names)
    if name == "diabetes":
        # The raw features (age in years, sex as 1/2, ...), not scikit-learn's pre-scaled copy: the point is that
        # the CLI scales for the user.
        d = datasets.load_diabetes(scaled=False)
        return d.data, d.target, "regression", None, list(d.feature_names)
    if name == "california_housing":
        try:
            d = datasets.fetch_california_housing(download_if_missing=False)
        except (OSError, IOError):
            return None
        return d.data, d.target, "regression", None, list(d.feature_names)
    raise ValueError("unknown data set %r" % name)


DATASETS = ["breast_cancer", "wine", "iris", "diabetes", "california_housing"]
TITLES = {
    "breast_cancer": "breast cancer",
    "wine": "wine (string labels)",
    "iris": "iris (string labels)",
    "diabetes": "diabetes (raw features)",
    "california_housing": "California housing",
}


def clean(name):
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


def write_csv(path, X, y, features, class_names):
    with open(path, "w") as f:
        f.write(",".join([clean(n) for n in features] + ["label"]) + "\n")
        for row, label in zip(X, y):
            if class_names is not None:
                text = class_names[int(label)]
            elif float(label).is_integer():
                text = str(int(label))
            else:
                text = repr(float(label))
            f.write(",".join(repr(float(v)) for v in row) + "," + text + "\n")


# ----------------------------------------------------------------------------- the two sides


def run(args):
    started = time.perf_counter()
    done = subprocess.run(["node", CLI] + args, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError("dnn-native %s failed (%d):\n%s%s" % (" ".join(args), done.returncode, done.stdout, done.stderr))
    return done.stdout + done.stderr, wall


def number(pattern, text, what):
    found = re.search(pattern, text, re.M)
    if not found:
        raise RuntimeError("no %s in the output:\n%s" % (what, text))
    return float(found.group(1))


def dnn_native(directory, task, seed, extra):
    model = os.path.join(directory, "m.dnn")
    train = ["train", "--data", os.path.join(directory, "train.csv"), "--output", model, "--seed", str(seed)]
    if task == "regression":
        train += ["--task", "regression"]
    out, wall = run(train + extra)
    # Passes over the data, from the progress lines: "epoch 12/200" with mini-batches, "iteration 11" (counting from
    # 0) when the whole training set is one batch, where the closing "trained in ..., N epochs" line says 1.
    epochs = [int(e) for e in re.findall(r"^epoch\s+(\d+)/", out, re.M)]
    epochs += [int(i) + 1 for i in re.findall(r"^iteration\s+(\d+)\s", out, re.M)]
    result = {
        "wall_s": wall,
        "reported_fit_s": number(r"^trained in ([\d.]+) s", out, "training time"),
        "epochs": max(epochs) if epochs else None,
    }
    out, evaluate_wall = run(["evaluate", "--model", model, "--data", os.path.join(directory, "test.csv")])
    # The command prints the fit's time to 0.1 s only: the fit is estimated as the train process's wall time less the
    # evaluate process's (Node start-up, loading the addon, reading a CSV: the overhead both share).
    result["evaluate_wall_s"] = evaluate_wall
    result["fit_s"] = max(wall - evaluate_wall, 0.0)
    if task == "regression":
        result["r2"] = number(r"^r2 (-?[\d.]+)", out, "r2")
        result["rmse"] = number(r"^rmse (\S+)", out, "rmse")
    else:
        result["accuracy"] = number(r"^accuracy ([\d.]+)%", out, "accuracy") / 100
    return result


def sklearn_fit(estimator, Xtr, ytr, Xte, yte, task):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        started = time.perf_counter()
        estimator.fit(Xtr, ytr)
        elapsed = time.perf_counter() - started
    last = estimator.regressor_ if hasattr(estimator, "regressor_") else estimator
    last = last[-1] if hasattr(last, "steps") else last
    result = {"fit_s": elapsed, "epochs": getattr(last, "n_iter_", None)}
    score = estimator.score(Xte, yte)  # accuracy or R^2
    result["r2" if task == "regression" else "accuracy"] = score
    if task == "regression":
        result["rmse"] = float(np.sqrt(np.mean((estimator.predict(Xte) - yte) ** 2)))
    return result


def references(task, seed):
    if task == "classification":
        return {
            "sk_scaled_mlp": make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
            "sk_raw_mlp": MLPClassifier(random_state=seed),
        }
    return {
        "sk_scaled_mlp": make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)),
        "sk_scaled_ridge": make_pipeline(StandardScaler(), Ridge()),
        # dnn-native standardises the targets inside; scikit-learn's MLPRegressor does not, and on targets in the
        # hundreds its 200 epochs at 1e-3 are far from enough. The like-for-like MLP scales y too:
        "sk_scaled_mlp_scaled_y": TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)), transformer=StandardScaler()
        ),
    }


# ----------------------------------------------------------------------------- report


def spread(values, percent):
    scale = 100 if percent else 1
    mean = statistics.mean(values) * scale
    sd = statistics.stdev(values) * scale if len(values) > 1 else 0.0
    return ("%.1f ± %.1f%%" % (mean, sd)) if percent else ("%.3f ± %.3f" % (mean, sd))


def mean(values):
    return statistics.mean(values)


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        node = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "node": node,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def table(rows, seeds, extra):
    cli = "dnn-native CLI defaults" + (" + `%s`" % " ".join(extra) if extra else "")
    lines = [
        "| data set | train/test rows, features | metric | %s | scikit-learn scaled MLP | "
        "scikit-learn raw MLP / scaled ridge | time per fit: dnn-native (train process) / scikit-learn scaled MLP | "
        "epochs: dnn-native / scikit-learn MLP |" % cli,
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        runs = r["runs"]
        classification = r["task"] == "classification"
        shape = "%d/%d, %d" % (r["train"], r["test"], r["features"])
        key = "accuracy" if classification else "r2"

        def cell(side):
            return spread([one[side][key] for one in runs], classification)

        mlp = cell("sk_scaled_mlp")
        if not classification:
            mlp = "%s (y as is); %s (y scaled too)" % (mlp, cell("sk_scaled_mlp_scaled_y"))
        other = cell("sk_raw_mlp") + " (raw MLP)" if classification else cell("sk_scaled_ridge") + " (ridge)"
        timing = "%.2f s (%.2f s) / %.2f s" % (
            mean([one["dnn"]["fit_s"] for one in runs]),
            mean([one["dnn"]["wall_s"] for one in runs]),
            mean([one["sk_scaled_mlp"]["fit_s"] for one in runs]),
        )
        epochs = "%.0f / %.0f" % (
            mean([one["dnn"]["epochs"] for one in runs]),
            mean([one["sk_scaled_mlp"]["epochs"] for one in runs]),
        )
        metric = ("test accuracy, %d classes" % r["classes"]) if classification else "test R²"
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s | %s |"
            % (TITLES[r["name"]], shape, metric, cell("dnn"), mlp, other, timing, epochs)
        )
    lines += [
        "",
        "Mean ± standard deviation over %d seeds (%s): each seed is its own split (80/20, stratified for classifiers) "
        "and its own initialisation, the same on both sides. dnn-native's fit time is the `train` process's wall time "
        "less the `evaluate` process's (the Node start-up, addon loading and CSV reading they share); the whole "
        "`train` process is in brackets. scikit-learn's is the `fit` call. Epochs are means; scikit-learn's MLP stops "
        "at 200 (max_iter) or after 10 epochs without a 1e-4 improvement of the training loss, as dnn-native's "
        "defaults do." % (len(seeds), ", ".join(str(s) for s in seeds)),
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (splits and initialisations), 0..n-1")
    parser.add_argument("--only", default=None, help="comma-separated data sets: " + ",".join(DATASETS))
    parser.add_argument("--json", default=None, help="also write every run as JSON to this path")
    parser.add_argument("--cli-flags", default="", help="extra flags for dnn-native train (an experiment)")
    options = parser.parse_args()
    if not os.path.exists(CLI):
        sys.stderr.write("%s is missing: build the TypeScript first (npm run build:ts)\n" % CLI)
        return 1
    extra = shlex.split(options.cli_flags)
    seeds = list(range(options.seeds))
    names = options.only.split(",") if options.only else DATASETS
    rows, notes = [], []
    for name in names:
        loaded = load(name)
        if loaded is None:
            notes.append("%s: skipped, not in scikit-learn's cache (it needs a download; this bench does none)" % TITLES[name])
            continue
        X, y, task, class_names, features = loaded
        row = {"name": name, "task": task, "features": X.shape[1], "runs": []}
        if task == "classification":
            row["classes"] = len(np.unique(y))
        for seed in seeds:
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=TEST_SIZE, random_state=seed, stratify=y if task == "classification" else None
            )
            row["train"], row["test"] = len(ytr), len(yte)
            with tempfile.TemporaryDirectory(prefix="dnn-tabular-") as directory:
                write_csv(os.path.join(directory, "train.csv"), Xtr, ytr, features, class_names)
                write_csv(os.path.join(directory, "test.csv"), Xte, yte, features, class_names)
                one = {"seed": seed, "dnn": dnn_native(directory, task, seed, extra)}
            for side, estimator in references(task, seed).items():
                one[side] = sklearn_fit(estimator, Xtr, ytr, Xte, yte, task)
            row["runs"].append(one)
            sys.stderr.write(
                "%s seed %d: dnn-native %s, sklearn scaled MLP %s\n"
                % (name, seed, *("%.4f" % one[s]["r2" if task == "regression" else "accuracy"] for s in ("dnn", "sk_scaled_mlp")))
            )
        rows.append(row)
    info = machine()
    print("## dnn-native CLI defaults vs scikit-learn on tabular data\n")
    print(
        "%s, %d cores; node %s, python %s, numpy %s, scikit-learn %s; %s\n"
        % (info["cpu"], info["cores"], info["node"], info["python"], info["numpy"], info["sklearn"], info["date"])
    )
    print(table(rows, seeds, extra))
    for note in notes:
        print("\n" + note)
    sys.stdout.flush()
    if options.json:
        with open(options.json, "w") as f:
            json.dump({"machine": info, "cli_flags": extra, "seeds": seeds, "datasets": rows, "notes": notes}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
