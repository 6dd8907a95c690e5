"""Multinomial naive Bayes over token n-grams (`models.classical.naive_bayes`),
checked against smoothed counts worked out by hand."""

import numpy as np

from models.classical.naive_bayes import NaiveBayes


def test_naive_bayes_by_hand():
    """Unigrams with alpha 1: P(x|a) = (3+1)/(4+2), P(y|a) = 2/6,
    P(x|b) = 1/5, P(y|b) = 4/5 (3 y's and 1 smoothing in 5); equal priors."""
    nb = NaiveBayes(["a", "b"], order=1)
    nb.fit([["x", "x", "y"], ["x"], ["y", "y", "y"], []], ["a", "a", "b", "b"])
    np.testing.assert_allclose(np.exp(nb.log_likelihood), [[4 / 6, 2 / 6], [1 / 5, 4 / 5]])
    assert nb.predict([["x"], ["y"], ["y", "y", "x"], ["z"]]) == ["a", "b", "b", "a"]
    char = NaiveBayes(["a", "b"], order=2, markers=True)
    assert ("\x02", "h") in char.ngrams(["h", "i"]) and ("i", "\x03") in char.ngrams(["h", "i"])
