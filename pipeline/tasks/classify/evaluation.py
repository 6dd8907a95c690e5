"""The classify task's evaluate stage, and the inference that
`pipeline.compare` times."""

import functools
import os

import numpy as np
import tensorflow as tf

from pipeline.core import atomic, evaluation
from pipeline.tasks.classify import data as classify_data
from pipeline.tasks.classify.plots import plot_attention, plot_confusion
from pipeline.tasks.classify.scoring import baselines, combine, fit_linear, scores
from pipeline.tasks.classify.server import predict, server_for


def evaluate(config, run_dir, data=None, data_dir=None, split="test", plot_texts=6):
    """Classifies the test split (or `split`) with the serving graph and
    writes `metrics.json`, `plots/confusion_matrix.png` (and
    `plots/confusion_matrix_combined.png`) and, with attention pooling,
    `plots/attention.png` (`pipeline.core.evaluation.output_dir`).

    Returns the metrics dict: `accuracy`, `macro_f1`, the same for the three
    baselines (`baseline_majority_*`, `baseline_nb_*`, `baseline_linear_*`)
    and for the network combined with the linear model (`combined_*`, its
    weight `combined_weight` chosen on validation), the number of test
    texts, per-class scores, the confusion matrix and a sample of errors.
    """
    server, prepared = server_for(config, run_dir)
    labels, unit = prepared["labels"], prepared["unit"]
    examples = classify_data.load_splits(config, data, data_dir)
    texts = [t for t, _ in examples[split]]
    true = [label for _, label in examples[split]]
    predicted, probabilities = predict(server, texts)
    result = scores(true, predicted, labels)
    linear = linear_model(config, data, data_dir, unit, tuple(labels))
    base = baselines(examples, labels, unit, config, split, linear=linear)
    network = {split: probabilities}
    if split != "validation":
        network["validation"] = predict(server, [t for t, _ in examples["validation"]])[1]
    combined = combine(network, linear[0], examples, labels, unit,
                       config["data"]["max_length"], split)
    metrics = {
        "accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
        **{f"baseline_{short}_{key}": base[name][key]
           for short, name in (("majority", "majority"), ("nb", "naive_bayes"),
                               ("linear", "linear_ngram"))
           for key in ("accuracy", "macro_f1")},
        "combined_accuracy": combined["accuracy"], "combined_macro_f1": combined["macro_f1"],
        "combined_weight": combined["weight"],
        "texts": len(texts), "train_texts": len(examples["train"]), "unit": unit,
        "labels": labels, "per_class": result["per_class"], "confusion": result["confusion"],
        "baselines": base, "combined": combined, "split": split,
        "errors": [{"text": t[:200], "label": y, "predicted": p}
                   for t, y, p in zip(texts, true, predicted, strict=True) if y != p][:20],
    }
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plots = evaluation.plots_dir(run_dir, split)
    for name, scored, who in (("confusion_matrix", result, "network"),
                              ("confusion_matrix_combined", combined,
                               f"network x {combined['weight']:.1f} + linear n-gram")):
        plot_confusion(np.array(scored["confusion"]), labels, os.path.join(plots, f"{name}.png"),
                       title=f"{who}: {split} accuracy {scored['accuracy']:.3f}, "
                             f"macro-F1 {scored['macro_f1']:.3f}")
    if server.model.pooling == "attention":
        plot_attention(server, texts[:plot_texts], true[:plot_texts],
                       os.path.join(plots, "attention.png"))
    return metrics


def linear_model(config, data, data_dir, unit, labels):
    """`fit_linear` of the splits the configuration reads, kept for the
    process: `pipeline.compare` evaluates several networks on one data."""
    d = config["data"]
    return _linear_model(data, data_dir, unit, labels, d["max_length"], d["max_train"],
                         d["max_eval"], d["seed"])


@functools.lru_cache(maxsize=2)
def _linear_model(data, data_dir, unit, labels, max_length, max_train, max_eval, seed):
    config = {"data": {"max_train": max_train, "max_eval": max_eval, "seed": seed}}
    examples = classify_data.load_splits(config, data, data_dir)
    return fit_linear(examples, list(labels), unit, max_length)


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function that classifies `count` test texts with the
    serving graph, for `pipeline.compare`'s inference timing."""
    examples = classify_data.load_splits(config, data, data_dir)["test"]
    texts = tf.constant([text for text, _ in examples[:count]], tf.string)
    server, _ = server_for(config, run_dir)
    return (lambda: server(texts)), int(texts.shape[0])
