"""The synthetic task: long-range benchmarks against the memoryless baseline.

Three problems (`pipeline.datasets.synthetic`) at a chosen length T:

- `adding`: many-to-one regression; the sum of the two marked values of a
  sequence of T (value, marker) pairs. Metric: test MSE.
- `copy`: synced many-to-many tagging; 10 symbols, T - 1 blanks and a
  delimiter, then the 10 symbols again. Metric: per-step accuracy, and the
  accuracy of the 10 recalled steps.
- `parity`: synced many-to-many tagging; the parity of the bits so far at
  every step (seed 002 slides 8-13). Metric: per-step accuracy.

Each metric comes with the memoryless baseline measured on the same test
set: the best prediction that ignores the inputs, the per-step mean
(regression) or the per-step majority class (tagging); for the adding
problem its MSE is Var(X1 + X2) = 1/6 = 0.167. `error_ratio` is the model's
error (MSE, or 1 - accuracy) over the baseline's: 1 means no memory used.

Models: any cell of `models.cells.CELLS` in a `RecurrentNetwork`, or a
causal `TransformerNetwork` (`model.cell=transformer`). The remedies of
seed 003 slides 54-55: gradient clipping (`train.clipnorm`) and the
gradient-flow regulariser of Pascanu et al. 2013 (`train.flow_weight`).
Evaluation of a recurrent model also writes the diagnostics of
`pipeline.diagnostics`: ||dL/dh_t|| at every step, trained and at
initialisation, and the largest singular value of each recurrent kernel.

Length generalisation: `synthetic.test_length=L` also scores the model on
L-step sequences of the same problem (generated with the test split's
seed), e.g. parity trained at T=20 and tested at T=40.

There is no serving export (`EXPORTABLE = False`): these are benchmarks.
"""

import os

import keras
import numpy as np

from pipeline.core import atomic, evaluation, training
from pipeline.core.errors import UsageError
from pipeline.core.limits import Limit, at_least, cells, one_of
from pipeline.data import builders as data_lib
from pipeline.inputs import synthetic as synthetic_inputs

#: `pipeline.run` skips the export stage of this task.
EXPORTABLE = False

DEFAULTS = {
    # problem and length choose the data (prepare options); test_length > 0
    # also scores the model on sequences of that length.
    "synthetic": {"problem": "adding", "length": 50, "test_length": 0},
    # max_train / max_eval: first examples of the splits used (0 = all 10000 / 1000).
    "data": {"batch_size": 50, "max_train": 0, "max_eval": 0, "seed": 0},
    # cell: a name of models.cells.CELLS, or "transformer"; units: the cell's
    # units or the Transformer's width; layers, heads, intermediate_dim: Transformer only.
    "model": {"cell": "lstm", "units": 128, "layers": 2, "heads": 4, "intermediate_dim": 256},
    # clipnorm: clip the gradient's global norm (0 = off, seed 003 slide 54);
    # flow_weight: weight of the Pascanu et al. (2013) regulariser (0 = off, slide 55);
    # strategy: one of pipeline.core.training.STRATEGIES.
    "train": {"epochs": 20, "learning_rate": 1e-3, "clipnorm": 1.0, "flow_weight": 0.0,
              "patience": 5, "seed": 0, "jit_compile": False, "strategy": "default",
              "ema": 0.0},
    # examples: test examples the gradient norms are averaged over (0 = no diagnostics).
    "diagnostics": {"examples": 200},
}

PRESETS = {
    "smoke": {"synthetic": {"length": 10},
              "data": {"max_train": 256, "max_eval": 64, "batch_size": 32},
              "model": {"units": 8, "heads": 2, "intermediate_dim": 16, "layers": 1},
              "train": {"epochs": 1}, "diagnostics": {"examples": 16}},
    "quick": {"model": {"units": 64}, "train": {"epochs": 10, "learning_rate": 3e-3}},
    "full": {"synthetic": {"length": 200}, "model": {"units": 64},
             "train": {"epochs": 30, "learning_rate": 2e-3, "patience": 10,
                       "jit_compile": True}},
}

#: The models `pipeline.compare --task synthetic` trains: every cell, the
#: Transformer, and the tanh RNN with the gradient-flow regulariser.
VARIANTS = {
    **{name: {"model": {"cell": name}} for name in (
        "elman", "jordan", "gru", "minimal_gru", "lstm", "peephole_lstm", "cifg_lstm", "esn",
        "clockwork")},
    # At the quick preset's 3e-3 the Transformer stays near chance on parity (measured).
    "transformer": {"model": {"cell": "transformer"}, "train": {"learning_rate": 1e-3}},
    "elman-flow": {"model": {"cell": "elman"}, "train": {"flow_weight": 1.0}},
}

#: Metrics `pipeline.compare` tabulates: error (MSE, or 1 - accuracy) over the
#: memoryless baseline's (charted), the two errors, and log10 ||dL/dh_1|| / ||dL/dh_T||.
COMPARE_METRICS = ("error_ratio", "error", "baseline_error", "gradient_log10_decay")

#: Per problem: input symbols (0 = real inputs), read-out width, tagging. Copy:
#: blank, COPY_SYMBOLS = 8 symbols and the delimiter in; blank and the symbols out.
PROBLEMS = {
    "adding": {"input_vocabulary": 0, "output_size": 1, "many_to_many": False},
    "copy": {"input_vocabulary": 10, "output_size": 9, "many_to_many": True},
    "parity": {"input_vocabulary": 2, "output_size": 2, "many_to_many": True},
}

#: Keys the later stages must give as the run was made with
#: (`pipeline.prepare.check_run`): the problem and the length it was trained at
#: (`synthetic.test_length` evaluates at another).
RUN_KEYS = ("synthetic.problem", "synthetic.length")

#: Limits of the task's own keys, beside `pipeline.core.limits.shared()`.
LIMITS = {
    "synthetic.problem": one_of(*PROBLEMS),
    "synthetic.length": at_least(2),
    "synthetic.test_length": Limit(lambda length: length == 0 or length >= 2,
                                   "0 (none) or 2 or more"),
    "model.cell": cells("transformer"),
    "train.flow_weight": at_least(0),  # 0: off
    "diagnostics.examples": at_least(0),  # 0: no diagnostics
}


def check_config(config):
    """Raises a UsageError naming the flags for Transformer settings no
    stage can use (`pipeline.core.cli.resolve` calls it before any work; the
    single values are `LIMITS`)."""
    m = config["model"]
    if m["cell"] == "transformer" and m["units"] % m["heads"]:
        raise UsageError(f"--set model.units={m['units']}: must be a multiple of "
                         f"model.heads={m['heads']}")
    if m["cell"] == "transformer" and config["train"]["flow_weight"]:
        raise UsageError("--set train.flow_weight: the regulariser needs a recurrent cell")


def build_model(config):
    """The model the configuration describes, built."""
    from models.synthetic import RecurrentNetwork, TransformerNetwork

    check_config(config)
    m, problem = config["model"], config["synthetic"]["problem"]
    spec = PROBLEMS[problem]
    if m["cell"] == "transformer":
        model = TransformerNetwork(m["units"], num_layers=m["layers"], heads=m["heads"],
                                   intermediate_dim=m["intermediate_dim"], **spec,
                                   name=f"{problem}_transformer")
    else:
        model = RecurrentNetwork(m["cell"], m["units"], flow_weight=config["train"]["flow_weight"],
                                 **spec, name=f"{problem}_{m['cell']}")
    model(example_inputs(problem))
    return model


def example_inputs(problem, batch=1, length=2):
    if problem == "adding":
        return np.zeros((batch, length, 2), "float32")
    return np.zeros((batch, length), "int32")


def loss_and_metrics(problem):
    if problem == "adding":
        return "mse", None
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]


def load_splits(config, data=None, data_dir=None):
    """`{split: tf.data.Dataset}` of `{"inputs", "targets"}`, cut to
    `data.max_train` / `data.max_eval` examples."""
    check_config(config)
    s, d = config["synthetic"], config["data"]
    task_data = data_lib.load("synthetic", data=data, data_dir=data_dir, problem=s["problem"],
                              length=s["length"])
    out = {}
    for split, dataset in task_data.splits.items():
        limit = d["max_train"] if split == "train" else d["max_eval"]
        out[split] = dataset.take(limit) if limit else dataset
    return out


def as_arrays(dataset):
    """`(inputs, targets)` NumPy arrays of a whole split."""
    batch = next(iter(dataset.batch(1 << 20).as_numpy_iterator()))
    return batch["inputs"], batch["targets"]


def train(config, run_dir, data=None, data_dir=None):
    """Trains (or resumes training) and saves `<run_dir>/model.keras`;
    returns the Keras history dict."""
    check_config(config)
    training.ensure_prepared(config, run_dir, data, data_dir)
    splits = load_splits(config, data, data_dir)
    d, problem = config["data"], config["synthetic"]["problem"]
    keras.utils.set_random_seed(config["train"]["seed"])
    train_batches = synthetic_inputs.batches(splits["train"], batch_size=d["batch_size"],
                                             training=True, seed=d["seed"])
    valid_batches = synthetic_inputs.batches(splits["validation"], batch_size=d["batch_size"])
    loss, metrics = loss_and_metrics(problem)
    return training.fit(lambda: build_model(config), train_batches, valid_batches, config,
                        run_dir, loss=loss, metrics=metrics)


def load_trained(run_dir):
    import models.synthetic  # noqa: F401  (registers the task's models)

    return training.load_trained(run_dir)


# ------------------------------------------------------------------ scoring
def memoryless(targets, problem):
    """The best predictions that ignore the inputs, measured on `targets`:
    the mean for regression, the majority class of each step for tagging."""
    if problem == "adding":
        return np.broadcast_to(targets.mean(axis=0), targets.shape)
    classes = PROBLEMS[problem]["output_size"]
    counts = np.stack([(targets == k).sum(axis=0) for k in range(classes)])  # [C, T]
    return np.broadcast_to(counts.argmax(axis=0), targets.shape)


def score(problem, predictions, targets):
    """The metrics of predictions (`[N, 1]` values or `[N, T, C]` logits)
    against targets, next to the memoryless baseline on the same targets."""
    baseline = memoryless(targets, problem)
    out = {"examples": int(len(targets))}
    if problem == "adding":
        mse = float(np.mean((predictions - targets) ** 2))
        base = float(np.mean((baseline - targets) ** 2))
        out.update(mse=mse, baseline_mse=base, error=mse, baseline_error=base,
                   error_ratio=mse / base)
        return out
    labels = np.asarray(predictions).argmax(axis=-1)  # [N, T]
    correct, base_correct = labels == targets, baseline == targets
    accuracy, base = float(correct.mean()), float(base_correct.mean())
    out.update(accuracy=accuracy, baseline_accuracy=base, error=1.0 - accuracy,
               baseline_error=1.0 - base, error_ratio=(1.0 - accuracy) / max(1.0 - base, 1e-12),
               sequence_accuracy=float(correct.all(axis=1).mean()),
               accuracy_by_step=correct.mean(axis=0).round(4).tolist())
    if problem == "copy":
        from pipeline.datasets.synthetic import COPY_REMEMBER

        out.update(recall_accuracy=float(correct[:, -COPY_REMEMBER:].mean()),
                   baseline_recall_accuracy=float(base_correct[:, -COPY_REMEMBER:].mean()))
    return out


def example_losses(problem, targets):
    """`y_pred -> [B]` per-example training loss against `targets` (the
    loss the diagnostics differentiate)."""
    from keras import ops

    targets = ops.convert_to_tensor(targets)

    def losses(predictions):
        if problem == "adding":
            return ops.sum(ops.square(predictions - targets), axis=-1)  # [B]
        per_step = keras.losses.sparse_categorical_crossentropy(
            targets, predictions, from_logits=True)  # [B, T]
        return ops.mean(per_step, axis=-1)

    return losses


def diagnose(config, model, inputs, targets, directory):
    """||dL/dh_t|| and the recurrent kernels' largest singular values, of the
    trained model and of a freshly initialised one (same seed); writes
    `diagnostics.json` and `plots/gradient_norms.png` into `directory`,
    returns a summary."""
    from pipeline import diagnostics

    problem = config["synthetic"]["problem"]
    keras.utils.set_random_seed(config["train"]["seed"])
    initial = build_model(config)
    losses = example_losses(problem, targets)
    report = {}
    for name, net in (("initial", initial), ("trained", model)):
        report[name] = {"gradient_norms": diagnostics.gradient_norms(net, inputs, losses),
                        "singular_values": diagnostics.singular_values(net.rnn.cell)}
    atomic.write_json(os.path.join(directory, "diagnostics.json"), report)
    cell, length = config["model"]["cell"], config["synthetic"]["length"]
    curves = {f"{cell} {name}" + ("" if state == "h" else f" {state}"): norms
              for name in ("trained", "initial")
              for state, norms in report[name]["gradient_norms"].items()}
    diagnostics.plot_gradient_norms(curves,
                                    os.path.join(directory, "plots", "gradient_norms.png"),
                                    f"{problem}, T={length}: ||dL/dh_t||")
    h = np.asarray(report["trained"]["gradient_norms"]["h"])
    h0 = np.asarray(report["initial"]["gradient_norms"]["h"])
    return {"gradient_norm_first": float(h[0]), "gradient_norm_last": float(h[-1]),
            # log10 ||dL/dh_1|| / ||dL/dh_T||: -13 means 13 orders of magnitude lost
            "gradient_log10_decay": float(np.log10(max(h[0], 1e-300) / max(h[-1], 1e-300))),
            "gradient_log10_decay_initial": float(
                np.log10(max(h0[0], 1e-300) / max(h0[-1], 1e-300))),
            "sigma_max": report["trained"]["singular_values"],
            "sigma_max_initial": report["initial"]["singular_values"]}


def plot_accuracy_by_step(results, path, title):
    """A PNG of the per-step test accuracy of each `{label: score dict}`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for label, result in results.items():
        by_step = result["accuracy_by_step"]
        ax.plot(np.arange(1, len(by_step) + 1), by_step, marker=".", label=label)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("step t")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return atomic.save_figure(fig, path)


def generalisation_set(config):
    """The test set at `synthetic.test_length` steps: the generator of the
    problem with the test split's seed, as many examples as the test split."""
    from pipeline.datasets.synthetic import GENERATORS, SPLIT_SEEDS

    s, d = config["synthetic"], config["data"]
    count = d["max_eval"] or 1000
    return GENERATORS[s["problem"]](count, s["test_length"], seed=SPLIT_SEEDS["test"])


def evaluate(config, run_dir, data=None, data_dir=None, split="test"):
    """Scores the test split (and the `test_length` set; with `split`
    "validation", the validation split alone) against the memoryless
    baseline; writes `metrics.json`, `diagnostics.json` and the plots
    (`pipeline.core.evaluation.output_dir`). Returns the metrics dict."""
    check_config(config)
    s = config["synthetic"]
    problem = s["problem"]
    model = load_trained(run_dir)
    inputs, targets = as_arrays(load_splits(config, data, data_dir)[split])
    batch = max(config["data"]["batch_size"], 256)
    predicted = model.predict(inputs, batch_size=batch, verbose=0)
    metrics = {"problem": problem, "length": s["length"], "model": config["model"]["cell"],
               "split": split, **score(problem, predicted, targets)}
    plots = evaluation.plots_dir(run_dir, split)
    by_step = {}
    if PROBLEMS[problem]["many_to_many"]:
        by_step[f"T={s['length']}"] = metrics
    if s["test_length"] and split == "test":
        long_inputs, long_targets = generalisation_set(config)
        result = score(problem, model.predict(long_inputs, batch_size=batch, verbose=0),
                       long_targets)
        metrics[f"test_length_{s['test_length']}"] = result
        for key in ("mse", "accuracy", "baseline_mse", "baseline_accuracy", "error_ratio"):
            if key in result:
                metrics[f"{key}_at_{s['test_length']}"] = result[key]
        if PROBLEMS[problem]["many_to_many"]:
            by_step[f"T={s['test_length']} (trained at {s['length']})"] = result
    if by_step:
        plot_accuracy_by_step(by_step, os.path.join(plots, "accuracy_by_step.png"),
                              f"{problem}, {config['model']['cell']}")
    examples = config["diagnostics"]["examples"]
    if examples and config["model"]["cell"] != "transformer":
        metrics.update(diagnose(config, model, inputs[:examples], targets[:examples],
                                evaluation.output_dir(run_dir, split)))
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    return metrics


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a compiled function predicting `count` test
    sequences (the test split, repeated), for `pipeline.compare`'s timing."""
    import tensorflow as tf

    model = load_trained(run_dir)
    inputs, _ = as_arrays(load_splits(config, data, data_dir)["test"])
    batch = tf.constant(np.resize(inputs, (count, *inputs.shape[1:])))
    infer = tf.function(lambda: model(batch, training=False))
    return infer, count


# ------------------------------------------------------------- predict, export
def parse_line(problem, line):
    """One input line -> a `[1, T, ...]` array (see `predict_lines`)."""
    values = ids = None
    try:
        if problem == "adding":
            values = [(float(v), float(m)) for v, m in (t.split(":") for t in line.split())]
        else:
            tokens = line.split() if problem == "copy" else list(line.replace(" ", ""))
            ids = [int(t) for t in tokens]
    except ValueError:
        pass
    top = PROBLEMS[problem]["input_vocabulary"] - 1
    if values and all(np.isfinite(v) and m in (0.0, 1.0) for v, m in values):
        return np.asarray([values], "float32")  # [1, T, 2]
    if ids and 0 <= min(ids) and max(ids) <= top:
        return np.asarray([ids], "int32")  # [1, T]
    form = {"adding": "value:marker pairs, finite values and markers 0 or 1, "
                      "e.g. '0.3:0 0.7:1 0.1:1'",
            "copy": f"space-separated symbols 0-{top}, e.g. '3 5 0 0 9 0 0'",
            "parity": "a string of bits, e.g. '0110'"}[problem]
    raise UsageError(f"input {line!r}: {problem} takes {form}")


def predict_lines(config, run_dir, inputs):
    """`input<TAB>answer` lines: adding the predicted sum; copy the symbol
    tagged at each step; parity the parity bit of each step."""
    check_config(config)
    problem = config["synthetic"]["problem"]
    arrays = [parse_line(problem, line) for line in inputs]
    model = load_trained(run_dir)
    lines = []
    for line, x in zip(inputs, arrays, strict=True):
        y = np.asarray(model(x))
        if problem == "adding":
            answer = f"{float(y[0, 0]):.4f}"
        else:
            tags = y[0].argmax(axis=-1)
            answer = " ".join(map(str, tags)) if problem == "copy" else "".join(map(str, tags))
        lines.append(f"{line}\t{answer}")
    return lines


def export(config, run_dir, directory):
    """The synthetic task has no serving export: it is a benchmark."""
    raise UsageError("--task synthetic: no serving export (a benchmark task); use evaluate "
                     "or predict")


def show_export(path, config, run_dir):
    export(config, run_dir, path)
