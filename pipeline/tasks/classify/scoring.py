"""The classify task's scores: accuracy, macro-F1 and the confusion matrix;
the three baselines fitted on the same training split (the majority class,
naive Bayes, and the linear TF-IDF model, both over n-grams of the tokens
the network reads); and the network combined with the linear model."""

import collections

import numpy as np

from models.classical.linear_ngram import C_GRID, GRIDS, LinearNGram
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


def joined(examples, unit, max_length):
    """`(texts, labels)` of `(text, label)` examples, each text as the
    network reads it (lower-cased, cut to `max_length` tokens) and joined
    back into a string: characters without a separator, words with a space."""
    texts = [t for t, _ in examples]
    sep = "" if unit == "char" else " "
    return ([sep.join(tokens) for tokens in token_lists(texts, unit, max_length)],
            [label for _, label in examples])


def fit_linear(examples, labels, unit, max_length):
    """`(LinearNGram, grid table)`: the linear n-gram model (character n-grams
    within word boundaries, or word n-grams) whose range and C score the best
    validation accuracy, fitted on `examples["train"]` only."""
    import keras

    analyzer = "char_wb" if unit == "char" else "word"
    bar = keras.utils.Progbar(len(GRIDS[analyzer]) * len(C_GRID),
                              unit_name="linear n-gram model fit")
    return LinearNGram.select(
        labels, analyzer, joined(examples["train"], unit, max_length),
        joined(examples["validation"], unit, max_length),
        score=lambda true, predicted: scores(true, predicted, labels)["accuracy"],
        progress=bar.update)


def baselines(examples, labels, unit, config, split="test", linear=None):
    """Scores of the majority class, of n-gram naive Bayes (characters
    1-`baseline.char_order` or words 1-`baseline.word_order`) and of the
    linear n-gram model (`fit_linear`, or the `(model, table)` given as
    `linear`), all fitted on `examples["train"]`, reading the same
    `data.max_length` tokens, and scored on `examples[split]`."""
    b, max_length = config["baseline"], config["data"]["max_length"]
    train_labels = [label for _, label in examples["train"]]
    scored_labels = [label for _, label in examples[split]]
    majority = collections.Counter(train_labels).most_common(1)[0][0]
    order = b["char_order"] if unit == "char" else b["word_order"]
    nb = NaiveBayes(labels, order, alpha=b["alpha"], markers=unit == "char")
    nb.fit(token_lists([t for t, _ in examples["train"]], unit, max_length), train_labels)
    predicted = nb.predict(token_lists([t for t, _ in examples[split]], unit, max_length))
    linear, table = linear or fit_linear(examples, labels, unit, max_length)
    return {
        "majority": {"label": majority,
                     **scores(scored_labels, [majority] * len(scored_labels), labels)},
        "naive_bayes": {"order": order, "alpha": b["alpha"],
                        **scores(scored_labels, predicted, labels)},
        "linear_ngram": {"analyzer": linear.analyzer, "ngram_range": list(linear.ngram_range),
                         "C": linear.C, "grid": table,
                         **scores(scored_labels,
                                  linear.predict(joined(examples[split], unit, max_length)[0]),
                                  labels)},
    }


#: The network's weights tried on validation when its probabilities are
#: averaged with the linear model's (0 = the linear model alone).
COMBINATION_WEIGHTS = tuple(i / 10 for i in range(11))


def choose_weight(network, linear, true_ids, weights=COMBINATION_WEIGHTS):
    """`(weight, table)`: the weight w of the average `w network + (1 - w)
    linear` of two `[N, C]` probability arrays with the best accuracy on
    the label ids `true_ids` `[N]` (ties go to the smaller w), and the
    accuracy of every w tried."""
    table = [{"weight": w, "accuracy": float(np.mean(
        (w * network + (1 - w) * linear).argmax(1) == true_ids))} for w in weights]
    best = max(table, key=lambda row: (row["accuracy"], -row["weight"]))
    return best["weight"], table


def combine(network, linear, examples, labels, unit, max_length, split="test"):
    """The network's class probabilities averaged with the linear model's,
    `w network + (1 - w) linear`, the weight w chosen on the validation
    split (`choose_weight`) and scored on `split`.

    Args:
        network: `{split: probabilities [N, C]}` of the network, for
            "validation" and `split`, columns in `labels` order.
        linear: a fitted `LinearNGram`.

    Returns:
        `{"weight", "validation": [{"weight", "accuracy"}, ...], **scores}`.
    """
    def truth_and_linear(name):
        texts, true = joined(examples[name], unit, max_length)
        return true, linear.predict_proba(texts)

    valid_true, valid_linear = truth_and_linear("validation")
    index = {name: i for i, name in enumerate(labels)}
    weight, table = choose_weight(network["validation"], valid_linear,
                                  np.array([index[y] for y in valid_true]))
    true, scored_linear = truth_and_linear(split)
    mixed = weight * network[split] + (1 - weight) * scored_linear  # [N, C]
    return {"weight": weight, "validation": table,
            **scores(true, [labels[i] for i in mixed.argmax(1)], labels)}
