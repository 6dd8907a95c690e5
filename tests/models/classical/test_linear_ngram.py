"""The linear n-gram model (`models.classical.linear_ngram`): chosen on
validation from its grid, fitted on the training texts only, probabilities
in the label order."""

import numpy as np
import pytest

from models.classical.linear_ngram import C_GRID, GRIDS, LinearNGram

TRAIN = (["aab", "abab", "baa", "ab ba", "xyy", "yxy", "yyx", "xy yx"], list("ppppqqqq"))
# 'z' and 'w' occur only outside the training split
VALIDATION = (["aaz", "yyw"], ["p", "q"])


def accuracy(true, predicted):
    return float(np.mean([t == p for t, p in zip(true, predicted, strict=True)]))


def test_select_tries_the_grid_and_fits_on_the_training_texts_only():
    fits = []
    model, table = LinearNGram.select(["p", "q", "r"], "char_wb", TRAIN, VALIDATION, accuracy,
                                      progress=fits.append)
    assert [(tuple(r["ngram_range"]), r["C"]) for r in table] == [
        (g, c) for g in GRIDS["char_wb"] for c in C_GRID]
    assert fits == list(range(1, len(table) + 1))
    best = max(r["validation"] for r in table)
    chosen = next(r for r in table if r["validation"] == best)  # the first best one
    assert (list(model.ngram_range), model.C) == (chosen["ngram_range"], chosen["C"])
    vocabulary = model.vectorizer.vocabulary_
    assert vocabulary and not [g for g in vocabulary if "z" in g or "w" in g]
    assert set("".join(vocabulary)) <= set("".join(TRAIN[0])) | {" "}
    assert model.predict(VALIDATION[0]) == ["p", "q"]
    probabilities = model.predict_proba(["aba", "zzz"])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(1), 1, atol=1e-6)
    assert np.all(probabilities[:, 2] == 0)  # "r" never seen in training


def test_word_ngrams_split_on_whitespace():
    model = LinearNGram(["p", "q"], "word", (1, 2)).fit(
        ["good film", "good fun", "bad film", "bad plot"], list("ppqq"))
    assert set(model.vectorizer.vocabulary_) == {"good", "film", "fun", "bad", "plot",
                                                 "good film", "good fun", "bad film",
                                                 "bad plot"}
    assert model.predict(["good", "bad"]) == ["p", "q"]


def test_rejects_an_unknown_analyzer():
    with pytest.raises(ValueError, match="analyzer='char'"):
        LinearNGram(["p"], "char")
