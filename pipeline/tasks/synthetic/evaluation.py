"""The synthetic task's scores: each metric next to the memoryless baseline
measured on the same targets, and the diagnostics of gradient flow through
time (Hamid Beigy, "Deep learning: Recurrent neural networks", slides 54-55;
Pascanu, Mikolov and Bengio 2013)."""

import os

import keras
import numpy as np

from pipeline.core import atomic, evaluation
from pipeline.tasks.synthetic import data as problem_data
from pipeline.tasks.synthetic.config import PROBLEMS
from pipeline.tasks.synthetic.dataset import COPY_REMEMBER, GENERATORS, SPLIT_SEEDS
from pipeline.tasks.synthetic.model import build_model, check_config, load_trained
from pipeline.tasks.synthetic.plots import plot_accuracy_by_step


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
    from pipeline.tasks.synthetic import diagnostics

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


def generalisation_set(config):
    """The test set at `synthetic.test_length` steps: the generator of the
    problem with the test split's seed, as many examples as the test split."""
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
    examples = problem_data.load_splits(config, data, data_dir)[split]
    inputs, targets = problem_data.as_arrays(examples)
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
    inputs, _ = problem_data.as_arrays(problem_data.load_splits(config, data, data_dir)["test"])
    batch = tf.constant(np.resize(inputs, (count, *inputs.shape[1:])))
    infer = tf.function(lambda: model(batch, training=False))
    return infer, count
