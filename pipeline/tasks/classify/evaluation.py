"""The classify task's evaluate stage, and the inference that
`pipeline.compare` times."""

import functools
import os

import numpy as np
import tensorflow as tf

from pipeline.core import atomic, evaluation
from pipeline.tasks.classify import data as classify_data
from pipeline.tasks.classify import members
from pipeline.tasks.classify.plots import plot_attention, plot_confusion
from pipeline.tasks.classify.scoring import (
    baselines,
    classical_probabilities,
    combine,
    fit_linear,
    fit_ngram_lm,
    scores,
)
from pipeline.tasks.classify.server import predict, server_for


def evaluate(config, run_dir, data=None, data_dir=None, split="test", plot_texts=6):
    """Classifies the test split (or `split`) with the serving graph and
    writes `metrics.json`, `plots/confusion_matrix.png` (and
    `plots/confusion_matrix_combined.png`) and, with attention pooling,
    `plots/attention.png` (`pipeline.core.evaluation.output_dir`).

    Returns the metrics dict: `accuracy`, `macro_f1`, the same for the
    baselines (`baseline_majority_*`, `baseline_nb_*`, `baseline_linear_*`,
    with characters `baseline_ngram_lm_*`, and `baseline_classical_*`, the
    linear and n-gram language models averaged), for the average of the
    network's and these models' probabilities (`combined_*`, its weights
    `combined_weights` chosen on validation, the network's `combined_weight`),
    the number of test texts, per-class scores, the confusion matrix and a
    sample of errors. The combination's weights and classical models go to
    the run directory (`members`), for the export and predict.
    """
    server, prepared = server_for(config, run_dir)
    labels, unit = prepared["labels"], prepared["unit"]
    max_length = config["data"]["max_length"]
    examples = classify_data.load_splits(config, data, data_dir)
    texts = [t for t, _ in examples[split]]
    true = [label for _, label in examples[split]]
    predicted, probabilities = predict(server, texts)
    result = scores(true, predicted, labels)
    linear, ngram_lm = classical_models(config, data, data_dir, unit, tuple(labels))
    base = baselines(examples, labels, unit, config, split, linear=linear, ngram_lm=ngram_lm)
    network = {split: probabilities}
    if split != "validation":
        network["validation"] = predict(server, [t for t, _ in examples["validation"]])[1]
    combined, classical = combinations(network, linear[0], ngram_lm and ngram_lm[0], examples,
                                       labels, unit, max_length, split)
    members.save(run_dir, combined["weights"],
                 {"linear": linear[0], **({"ngram_lm": ngram_lm[0]} if ngram_lm else {})})
    metrics = {
        "accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
        **{f"baseline_{short}_{key}": base[name][key]
           for short, name in (("majority", "majority"), ("nb", "naive_bayes"),
                               ("linear", "linear_ngram"), ("ngram_lm", "ngram_lm"))
           if name in base for key in ("accuracy", "macro_f1")},
        "combined_accuracy": combined["accuracy"], "combined_macro_f1": combined["macro_f1"],
        "combined_weight": combined["weights"]["network"],
        "combined_weights": combined["weights"],
        "texts": len(texts), "train_texts": len(examples["train"]), "unit": unit,
        "labels": labels, "per_class": result["per_class"], "confusion": result["confusion"],
        "baselines": base, "combined": combined, "split": split,
        "errors": [{"text": t[:200], "label": y, "predicted": p}
                   for t, y, p in zip(texts, true, predicted, strict=True) if y != p][:20],
    }
    if classical:
        base["classical"] = classical
        metrics.update(baseline_classical_accuracy=classical["accuracy"],
                       baseline_classical_macro_f1=classical["macro_f1"])
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plots = evaluation.plots_dir(run_dir, split)
    mixed = " + ".join(f"{NAMES[name]} x {w:.1f}"
                       for name, w in combined["weights"].items() if w > 0)
    for name, scored, who in (("confusion_matrix", result, "network"),
                              ("confusion_matrix_combined", combined, mixed)):
        plot_confusion(np.array(scored["confusion"]), labels, os.path.join(plots, f"{name}.png"),
                       title=f"{who}: {split} accuracy {scored['accuracy']:.3f}, "
                             f"macro-F1 {scored['macro_f1']:.3f}")
    if server.model.pooling == "attention":
        plot_attention(server, texts[:plot_texts], true[:plot_texts],
                       os.path.join(plots, "attention.png"))
    return metrics


def combinations(network, linear, ngram_lm, examples, labels, unit, max_length, split):
    """`(combined, classical)`: `combine` of the network's probabilities
    (`{split: [N, C]}`, and validation) with the linear model's and the
    n-gram models' (None with words), and of the classical models alone
    (None with only the linear model). Ties prefer the later members: the
    linear model, then the n-gram models."""
    splits = list(network)
    models = ({"ngram_lm": ngram_lm} if ngram_lm else {}) | {"linear": linear}
    probabilities = classical_probabilities(models, examples, unit, max_length, splits)
    truth = {s: [label for _, label in examples[s]] for s in splits}
    combined = combine({"network": network, **probabilities}, truth, labels, split)
    classical = combine(probabilities, truth, labels, split) if len(probabilities) > 1 else None
    return combined, classical


#: How the plots name the members of the combination.
NAMES = {"network": "network", "linear": "linear n-gram", "ngram_lm": "n-gram LMs"}


def classical_models(config, data, data_dir, unit, labels):
    """`(linear, ngram_lm)`: `fit_linear` and `fit_ngram_lm` (None with
    words) of the splits the configuration reads, kept for the process:
    `pipeline.compare` evaluates several networks on one data."""
    d = config["data"]
    return _classical_models(data, data_dir, unit, labels, d["max_length"], d["max_train"],
                             d["max_eval"], d["seed"])


@functools.lru_cache(maxsize=2)
def _classical_models(data, data_dir, unit, labels, max_length, max_train, max_eval, seed):
    config = {"data": {"max_train": max_train, "max_eval": max_eval, "seed": seed}}
    examples = classify_data.load_splits(config, data, data_dir)
    return (fit_linear(examples, list(labels), unit, max_length),
            fit_ngram_lm(examples, list(labels), unit, max_length))


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function that classifies `count` test texts with the
    serving graph, for `pipeline.compare`'s inference timing."""
    examples = classify_data.load_splits(config, data, data_dir)["test"]
    texts = tf.constant([text for text, _ in examples[:count]], tf.string)
    server, _ = server_for(config, run_dir)
    return (lambda: server(texts)), int(texts.shape[0])
