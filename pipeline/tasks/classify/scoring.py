"""The classify task's scores: accuracy, macro-F1 and the confusion matrix;
the baselines fitted on the same training split (the majority class, naive
Bayes and the linear TF-IDF model over n-grams of the tokens the network
reads, and with characters a Kneser-Ney character model per class); and
the average of the network's and these models' class probabilities."""

import collections
import itertools

import numpy as np

from models.classical.linear_ngram import C_GRID, GRIDS, LinearNGram
from models.classical.naive_bayes import NaiveBayes
from models.classical.ngram_lm_classifier import ORDERS, NGramLMClassifier
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


def select_on_validation(select, fits, name, examples, labels, unit, max_length, **kwargs):
    """`select(labels, train=..., validation=..., score=..., progress=...,
    **kwargs)` of a classical model (`LinearNGram.select`,
    `NGramLMClassifier.select`) on the joined training and validation texts,
    scored by accuracy, with a progress bar of its `fits`."""
    import keras

    bar = keras.utils.Progbar(fits, unit_name=f"{name} fit")
    return select(labels, train=joined(examples["train"], unit, max_length),
                  validation=joined(examples["validation"], unit, max_length),
                  score=lambda true, predicted: scores(true, predicted, labels)["accuracy"],
                  progress=bar.update, **kwargs)


def fit_linear(examples, labels, unit, max_length):
    """`(LinearNGram, grid table)`: the linear n-gram model (character n-grams
    within word boundaries, or word n-grams) whose range and C score the best
    validation accuracy, fitted on `examples["train"]` only."""
    analyzer = "char_wb" if unit == "char" else "word"
    return select_on_validation(
        LinearNGram.select, len(GRIDS[analyzer]) * len(C_GRID), "linear n-gram model",
        examples, labels, unit, max_length, analyzer=analyzer)


def fit_ngram_lm(examples, labels, unit, max_length):
    """`(NGramLMClassifier, grid table)`: the per-class character n-gram
    models whose order scores the best validation accuracy, fitted on
    `examples["train"]` only; None when the texts are read as words."""
    if unit != "char":
        return None
    return select_on_validation(
        NGramLMClassifier.select, len(ORDERS), "n-gram language model", examples, labels,
        unit, max_length)


def baselines(examples, labels, unit, config, split="test", linear=None, ngram_lm=None):
    """Scores of the majority class, of n-gram naive Bayes (characters
    1-`baseline.char_order` or words 1-`baseline.word_order`), of the
    linear n-gram model (`fit_linear`, or the `(model, table)` given as
    `linear`) and with characters of the n-gram language models
    (`fit_ngram_lm`, or `ngram_lm`), all fitted on `examples["train"]`,
    reading the same `data.max_length` tokens, and scored on `examples[split]`."""
    b, max_length = config["baseline"], config["data"]["max_length"]
    train_labels = [label for _, label in examples["train"]]
    scored_labels = [label for _, label in examples[split]]
    scored_texts = joined(examples[split], unit, max_length)[0]
    majority = collections.Counter(train_labels).most_common(1)[0][0]
    order = b["char_order"] if unit == "char" else b["word_order"]
    nb = NaiveBayes(labels, order, alpha=b["alpha"], markers=unit == "char")
    nb.fit(token_lists([t for t, _ in examples["train"]], unit, max_length), train_labels)
    predicted = nb.predict(token_lists([t for t, _ in examples[split]], unit, max_length))
    linear, table = linear or fit_linear(examples, labels, unit, max_length)
    out = {
        "majority": {"label": majority,
                     **scores(scored_labels, [majority] * len(scored_labels), labels)},
        "naive_bayes": {"order": order, "alpha": b["alpha"],
                        **scores(scored_labels, predicted, labels)},
        "linear_ngram": {"analyzer": linear.analyzer, "ngram_range": list(linear.ngram_range),
                         "C": linear.C, "grid": table,
                         **scores(scored_labels, linear.predict(scored_texts), labels)},
    }
    ngram_lm = ngram_lm or fit_ngram_lm(examples, labels, unit, max_length)
    if ngram_lm is not None:
        model, table = ngram_lm
        out["ngram_lm"] = {"order": model.order, "method": model.method, "grid": table,
                           **scores(scored_labels, model.predict(scored_texts), labels)}
    return out


#: The step of the weights tried on validation when class probabilities are
#: averaged: every weighting of the members on this grid of the simplex.
COMBINATION_STEP = 0.1


def weight_grid(members, step=COMBINATION_STEP):
    """Every weight vector of `members` components, multiples of `step`
    summing to 1, in lexicographic order of the weights."""
    parts = round(1 / step)
    return [tuple(k / parts for k in split)
            for split in itertools.product(range(parts + 1), repeat=members)
            if sum(split) == parts]


def choose_weights(probabilities, true_ids, step=COMBINATION_STEP):
    """`(weights, table)`: the weights of the average `sum_k w_k P_k` of the
    `[K, N, C]` class probabilities with the best accuracy on the label ids
    `true_ids` `[N]`, and the accuracy of every weighting tried (`weight_grid`).
    Ties go to the smaller weight of the first member, then of the second,
    and so on: the last member is the default."""
    probabilities = np.asarray(probabilities)
    table = [{"weights": list(w), "accuracy": float(np.mean(
        np.tensordot(w, probabilities, axes=1).argmax(1) == true_ids))}
        for w in weight_grid(len(probabilities), step)]
    best = max(table, key=lambda row: (row["accuracy"], *(-w for w in row["weights"][:-1])))
    return tuple(best["weights"]), table


def combine(members, true, labels, split="test"):
    """The members' class probabilities averaged, the weights chosen on the
    validation split (`choose_weights`) and scored on `split`.

    Args:
        members: `{name: {split: probabilities [N, C]}}` for "validation"
            and `split`, columns in `labels` order; ties prefer the later
            members (see `choose_weights`).
        true: `{split: [label, ...]}` for "validation" and `split`.

    Returns:
        `{"members": [name, ...], "weights": {name: w}, "validation":
        [{"weights" (in `members` order), "accuracy"}, ...], **scores}`.
    """
    names = list(members)
    index = {name: i for i, name in enumerate(labels)}
    weights, table = choose_weights([members[n]["validation"] for n in names],
                                    np.array([index[y] for y in true["validation"]]))
    mixed = np.tensordot(weights, np.stack([members[n][split] for n in names]), axes=1)
    return {"members": names, "weights": dict(zip(names, weights, strict=True)),
            "validation": table,
            **scores(true[split], [labels[i] for i in mixed.argmax(1)], labels)}


def classical_probabilities(models, examples, unit, max_length, splits):
    """`{name: {split: probabilities}}` of fitted classical models (objects
    with `predict_proba` over the joined texts), for `combine`."""
    texts = {s: joined(examples[s], unit, max_length)[0] for s in splits}
    return {name: {s: model.predict_proba(texts[s]) for s in splits}
            for name, model in models.items()}
