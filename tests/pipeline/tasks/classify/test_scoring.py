"""The classify task's scores (`pipeline.tasks.classify.scoring`): accuracy,
macro-F1 and the confusion matrix by hand, the baselines, and the network
combined with the classical models."""

import numpy as np
import pytest

from pipeline.core.config import resolve
from pipeline.tasks.classify.scoring import (
    baselines,
    choose_weights,
    classical_probabilities,
    combine,
    fit_linear,
    fit_ngram_lm,
    scores,
    weight_grid,
)


def test_scores_by_hand():
    true = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    result = scores(true, predicted, ["a", "b", "c", "d"])
    assert result["accuracy"] == pytest.approx(4 / 6)
    # F1: a 2*2/(3+2) = 0.8, b 2*1/(2+2) = 0.5, c 2*1/(1+2) = 2/3; d never seen: left out
    assert result["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert result["confusion"] == [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert result["per_class"]["a"]["precision"] == 1.0
    assert result["per_class"]["a"]["recall"] == pytest.approx(2 / 3)


def test_baselines_fit_on_train_and_score_the_split():
    """The majority class of the training split, and naive Bayes over
    character bigrams that tells the two made-up languages apart."""
    config = resolve("classify", "smoke", sets=["baseline.char_order=2"])
    examples = {"train": [("aab", "x"), ("aba", "x"), ("baa", "x"), ("zzy", "y"), ("yzz", "y")],
                "validation": [("aba", "x"), ("zzy", "y")],
                "test": [("aaa", "x"), ("zzz", "y"), ("zyz", "y")]}
    base = baselines(examples, ["x", "y"], "char", config)
    assert base["majority"]["label"] == "x"
    assert base["majority"]["accuracy"] == pytest.approx(1 / 3)
    assert base["naive_bayes"]["order"] == 2 and base["naive_bayes"]["accuracy"] == 1.0
    assert sum(map(sum, base["naive_bayes"]["confusion"])) == 3
    linear = base["linear_ngram"]
    assert linear["analyzer"] == "char_wb" and linear["accuracy"] == 1.0
    assert len(linear["grid"]) == 4 and sum(map(sum, linear["confusion"])) == 3
    ngram_lm = base["ngram_lm"]
    assert ngram_lm["order"] in [row["order"] for row in ngram_lm["grid"]]
    assert ngram_lm["accuracy"] == 1.0 and sum(map(sum, ngram_lm["confusion"])) == 3


def test_the_ngram_language_models_read_the_training_split_only():
    """As the linear model: characters only validation and test texts have
    (q, w) are out of every class's vocabulary, and texts are cut to
    `data.max_length` first. Words have no character models."""
    examples = {"train": [("aab", "x"), ("abaa", "x"), ("Zzzzzzzzzyyyyyq", "y"), ("yzz", "y")],
                "validation": [("aaq", "x"), ("zzw", "y")], "test": [("qqw", "y")]}
    model, table = fit_ngram_lm(examples, ["x", "y"], "char", max_length=10)
    assert set(model.characters) == {"a", "b", "y", "z"} and len(table) == 5
    assert fit_ngram_lm(examples, ["x", "y"], "word", max_length=10) is None


def test_the_linear_baseline_reads_the_training_split_only():
    """Characters that occur only in the validation and test texts (q, w)
    never enter the linear model's vocabulary; texts are cut to the network's
    `data.max_length` ("Zzzzzzzzzyyyyyq" keeps only its first 10 characters,
    lower-cased) before the n-grams are taken."""
    examples = {"train": [("aab", "x"), ("abaa", "x"), ("Zzzzzzzzzyyyyyq", "y"), ("yzz", "y")],
                "validation": [("aaq", "x"), ("zzw", "y")], "test": [("qqw", "y")]}
    model, table = fit_linear(examples, ["x", "y"], "char", max_length=10)
    grams = set(model.vectorizer.vocabulary_)
    assert grams and not [g for g in grams if set(g) & set("qwZ")]
    assert {"zzy", "zy"} <= grams and "yq" not in grams


def test_weight_grid_covers_the_simplex():
    assert np.allclose(weight_grid(2), [(i / 10, 1 - i / 10) for i in range(11)])
    grid = weight_grid(3)
    assert len(grid) == 66 and all(abs(sum(w) - 1) < 1e-9 for w in grid)


def test_choose_weights_by_hand():
    """Validation ids [0, 1, 1]; the network right on rows 0 and 1, the linear
    model on rows 1 and 2. Row 0 is right for w > 0.27 (0.35 + 0.55w > 0.65 -
    0.55w), row 2 for w < 0.57 (0.9 - 0.7w > 0.1 + 0.7w): only 0.3, 0.4 and
    0.5 get all three right, and the smallest is kept."""
    network = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.2]])
    linear = np.array([[0.35, 0.65], [0.1, 0.9], [0.1, 0.9]])
    weights, table = choose_weights([network, linear], np.array([0, 1, 1]))
    assert weights == pytest.approx((0.3, 0.7))
    accuracy = {round(row["weights"][0], 1): row["accuracy"] for row in table}
    assert accuracy[0.0] == accuracy[1.0] == pytest.approx(2 / 3)
    assert accuracy[0.3] == accuracy[0.4] == accuracy[0.5] == 1.0
    assert accuracy[0.2] == accuracy[0.6] == pytest.approx(2 / 3)


def test_choose_weights_of_three_members_by_hand():
    """True ids all 1; each member is right on two rows, and row r is right
    when its margin sum_k w_k m_k[r] > 0 (a tie picks id 0, wrong), with
    margins a (+1, +1, -1), b (-1, +1, +1), c (+1, -1, +1): all three rows
    need every weight below 0.5. On the grid the smallest weight of a is
    then 0.2 (b and c 0.4)."""
    right, wrong = [0.0, 1.0], [1.0, 0.0]
    a = np.array([right, right, wrong])
    b = np.array([wrong, right, right])
    c = np.array([right, wrong, right])
    weights, table = choose_weights([a, b, c], np.array([1, 1, 1]))
    assert weights == pytest.approx((0.2, 0.4, 0.4))
    perfect = [row["weights"] for row in table if row["accuracy"] == 1.0]
    assert perfect and all(max(w) < 0.5 for w in perfect)
    assert len(table) == 66


def test_combine_scores_the_split_with_the_validation_weights():
    examples = {"train": [("aab", "x"), ("aba", "x"), ("zzy", "y"), ("yzz", "y")],
                "validation": [("aaa", "x"), ("zzz", "y")], "test": [("aza", "x"), ("zz", "y")]}
    model, _ = fit_linear(examples, ["x", "y"], "char", 400)
    # A network that is confidently wrong on validation: the linear model alone wins.
    network = {"validation": np.array([[0.0, 1.0], [1.0, 0.0]]),
               "test": np.array([[0.0, 1.0], [1.0, 0.0]])}
    members = {"network": network,
               **classical_probabilities({"linear": model}, examples, "char", 400,
                                         ["validation", "test"])}
    truth = {s: [y for _, y in examples[s]] for s in ("validation", "test")}
    combined = combine(members, truth, ["x", "y"])
    assert combined["weights"] == {"network": 0.0, "linear": 1.0}
    assert len(combined["validation"]) == 11
    assert combined["accuracy"] == scores(["x", "y"], model.predict(["aza", "zz"]),
                                          ["x", "y"])["accuracy"]
