"""The classify task's scores (`pipeline.tasks.classify.scoring`): accuracy,
macro-F1 and the confusion matrix by hand, and the two baselines."""

import pytest

from pipeline.core.config import resolve
from pipeline.tasks.classify.scoring import baselines, scores


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
                "test": [("aaa", "x"), ("zzz", "y"), ("zyz", "y")]}
    base = baselines(examples, ["x", "y"], "char", config)
    assert base["majority"]["label"] == "x"
    assert base["majority"]["accuracy"] == pytest.approx(1 / 3)
    assert base["naive_bayes"]["order"] == 2 and base["naive_bayes"]["accuracy"] == 1.0
    assert sum(map(sum, base["naive_bayes"]["confusion"])) == 3
