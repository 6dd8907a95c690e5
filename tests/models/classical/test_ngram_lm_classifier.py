"""`models.classical.ngram_lm_classifier`: one Kneser-Ney character model per
class and Bayes' rule (Dunning 1994), against the per-class models scored
text by text."""

import numpy as np
import pytest

from models.classical.ngram import CharNGram
from models.classical.ngram_lm_classifier import BOUNDARY, NGramLMClassifier

TEXTS = ["abab", "abba", "baab", "ab", "xyxy", "yxxy", "xy", "yyx", "ba"]
LABELS = ["p", "p", "p", "p", "q", "q", "q", "q", "r"]


def test_likelihoods_are_the_class_models_scores_text_by_text():
    """log2 p(text | class): the class's model over n-1 boundaries, the
    characters and the end boundary, summed over the characters and the end;
    the posterior adds the log prior (4/9, 4/9, 1/9) and normalises."""
    order = 3
    model = NGramLMClassifier(["p", "q", "r"], order=order).fit(TEXTS, LABELS)
    queries = ["abx", "", "yy", "zab"]  # z never seen: out of vocabulary
    got = model.log2_likelihoods(queries)
    size = len(model.characters) + 3
    for c, label in enumerate(["p", "q", "r"]):
        pad = [BOUNDARY] * (order - 1)
        stream = [i for t, y in zip(TEXTS, LABELS, strict=True) if y == label
                  for i in pad + [model.characters[ch] for ch in t]] + [BOUNDARY]
        reference = CharNGram(size, order).fit(np.array(stream))
        for k, text in enumerate(queries):
            ids = pad + [model.characters.get(ch, 1) for ch in text] + [BOUNDARY]
            expected = reference.log2_probabilities(np.array(ids))[order - 2:].sum()
            assert got[k, c] == pytest.approx(expected, rel=1e-12)
    prior = np.log2([4 / 9, 4 / 9, 1 / 9])
    joint = got + prior
    expected = np.exp2(joint - joint.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(queries),
                               expected / expected.sum(1, keepdims=True), rtol=1e-6)
    assert model.predict(["abab", "yxy"]) == ["p", "q"]


def test_only_the_training_texts_enter_the_vocabulary_and_every_text_has_a_score():
    model = NGramLMClassifier(["p", "q", "r", "s"], order=4).fit(TEXTS, LABELS)
    assert set(model.characters) == set("abxy")
    p = model.predict_proba(["qqq", "abzz"])
    assert np.isfinite(p).all() and (p[:, :3] > 0).all()
    assert (p[:, 3] == 0).all()  # a class without training texts
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)


def test_select_keeps_the_order_with_the_best_validation_score():
    """Two classes with the same bigrams, boundaries included ("aab" and
    "bba" against "abb" and "baa"), and different trigrams: order 2 cannot
    tell them apart, order 3 can."""
    train = (["aab", "bba", "abb", "baa"] * 10, ["p", "p", "q", "q"] * 10)
    validation = (["aab", "abb", "bba", "baa"], ["p", "q", "p", "q"])

    def score(true, predicted):
        return float(np.mean([t == p for t, p in zip(true, predicted, strict=True)]))

    model, table = NGramLMClassifier.select(["p", "q"], train, validation, score, orders=(2, 3))
    assert [row["order"] for row in table] == [2, 3]
    assert table[1]["validation"] == 1.0 > table[0]["validation"]
    assert model.order == 3


def test_rejects_an_order_below_two():
    with pytest.raises(ValueError, match="order"):
        NGramLMClassifier(["p"], order=1)
