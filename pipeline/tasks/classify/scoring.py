"""The classify task's scores: accuracy, macro-F1 and the confusion matrix,
and the two baselines fitted on the same training split (the majority
class, and naive Bayes over the n-grams of the tokens the network reads)."""

import collections

import numpy as np

from models.classical.naive_bayes import NaiveBayes
from pipeline.tasks.classify.inputs import token_lists


def scores(true, predicted, labels):
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion
    matrix (rows true, columns predicted) of label-name lists.

    Macro-F1 averages F1 = 2TP / (2TP + FP + FN) over the classes that occur
    in `true` or `predicted` (as scikit-learn's default does), so a class
    absent from a small test split does not count as a zero.
    """
    index = {name: i for i, name in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), "int64")
    np.add.at(confusion, ([index[t] for t in true], [index[p] for p in predicted]), 1)
    tp = np.diag(confusion).astype("float64")
    support, predicted_count = confusion.sum(1), confusion.sum(0)
    seen = (support + predicted_count) > 0
    f1 = np.divide(2 * tp, support + predicted_count, out=np.zeros_like(tp), where=seen)
    precision = np.divide(tp, predicted_count, out=np.zeros_like(tp), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    per_class = {name: {"precision": float(precision[i]), "recall": float(recall[i]),
                        "f1": float(f1[i]), "support": int(support[i])}
                 for i, name in enumerate(labels)}
    return {"accuracy": float(tp.sum() / max(len(true), 1)),
            "macro_f1": float(f1[seen].mean()) if seen.any() else 0.0,
            "per_class": per_class, "confusion": confusion.tolist()}


def baselines(examples, labels, unit, config, split="test"):
    """Scores of the majority class and of n-gram naive Bayes (characters
    1-`baseline.char_order` or words 1-`baseline.word_order`, cut to the same
    `data.max_length`), both fitted on `examples["train"]` and scored on
    `examples[split]`."""
    b, max_length = config["baseline"], config["data"]["max_length"]
    train_labels = [label for _, label in examples["train"]]
    scored_labels = [label for _, label in examples[split]]
    majority = collections.Counter(train_labels).most_common(1)[0][0]
    order = b["char_order"] if unit == "char" else b["word_order"]
    nb = NaiveBayes(labels, order, alpha=b["alpha"], markers=unit == "char")
    nb.fit(token_lists([t for t, _ in examples["train"]], unit, max_length), train_labels)
    predicted = nb.predict(token_lists([t for t, _ in examples[split]], unit, max_length))
    return {
        "majority": {"label": majority,
                     **scores(scored_labels, [majority] * len(scored_labels), labels)},
        "naive_bayes": {"order": order, "alpha": b["alpha"],
                        **scores(scored_labels, predicted, labels)},
    }
