"""The classify task's evaluate stage, and the inference that
`pipeline.compare` times."""

import os

import numpy as np
import tensorflow as tf

from pipeline.core import atomic, evaluation
from pipeline.tasks.classify import data as classify_data
from pipeline.tasks.classify.plots import plot_attention, plot_confusion
from pipeline.tasks.classify.scoring import baselines, scores
from pipeline.tasks.classify.server import predict, server_for


def evaluate(config, run_dir, data=None, data_dir=None, split="test", plot_texts=6):
    """Classifies the test split (or `split`) with the serving graph and
    writes `metrics.json`, `plots/confusion_matrix.png` and, with attention
    pooling, `plots/attention.png` (`pipeline.core.evaluation.output_dir`).

    Returns the metrics dict: `accuracy`, `macro_f1`, the same for the two
    baselines (`baseline_majority_*`, `baseline_nb_*`), the number of test
    texts, per-class scores, the confusion matrix and a sample of errors.
    """
    server, prepared = server_for(config, run_dir)
    labels = prepared["labels"]
    examples = classify_data.load_splits(config, data, data_dir)
    texts = [t for t, _ in examples[split]]
    true = [label for _, label in examples[split]]
    predicted, _ = predict(server, texts)
    result = scores(true, predicted, labels)
    base = baselines(examples, labels, prepared["unit"], config, split)
    metrics = {
        "accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
        "baseline_majority_accuracy": base["majority"]["accuracy"],
        "baseline_majority_macro_f1": base["majority"]["macro_f1"],
        "baseline_nb_accuracy": base["naive_bayes"]["accuracy"],
        "baseline_nb_macro_f1": base["naive_bayes"]["macro_f1"],
        "texts": len(texts), "train_texts": len(examples["train"]), "unit": prepared["unit"],
        "labels": labels, "per_class": result["per_class"], "confusion": result["confusion"],
        "baselines": base, "split": split,
        "errors": [{"text": t[:200], "label": y, "predicted": p}
                   for t, y, p in zip(texts, true, predicted, strict=True) if y != p][:20],
    }
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plots = evaluation.plots_dir(run_dir, split)
    plot_confusion(np.array(result["confusion"]), labels,
                   os.path.join(plots, "confusion_matrix.png"),
                   title=f"{split} accuracy {result['accuracy']:.3f}, "
                         f"macro-F1 {result['macro_f1']:.3f}")
    if server.model.pooling == "attention":
        plot_attention(server, texts[:plot_texts], true[:plot_texts],
                       os.path.join(plots, "attention.png"))
    return metrics


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function that classifies `count` test texts with the
    serving graph, for `pipeline.compare`'s inference timing."""
    examples = classify_data.load_splits(config, data, data_dir)["test"]
    texts = tf.constant([text for text, _ in examples[:count]], tf.string)
    server, _ = server_for(config, run_dir)
    return (lambda: server(texts)), int(texts.shape[0])
