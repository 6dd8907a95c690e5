"""`models.classical.online_ngram`: counting each scored character as it is
scored gives the scores of a model refitted on the training text and the
scored prefix before every character (the definition, transcribed here one
refit per character)."""

import numpy as np
import pytest

from models.classical.ngram import CharNGram
from models.classical.online_ngram import online_log2_probabilities

V = 6


def refitted_every_character(train, ids, order, method):
    out = []
    for t in range(1, len(ids)):
        model = CharNGram(V, order=order, method=method).fit(np.concatenate([train, ids[:t]]))
        out.append(np.log2(model.probabilities(model.windows(ids)[t - 1][None])[0]))
    return np.array(out)


@pytest.mark.parametrize("method", ["kneser_ney", "witten_bell"])
@pytest.mark.parametrize("order", [1, 2, 4, 7])
def test_online_counts_equal_a_refit_before_every_character(order, method):
    rng = np.random.default_rng(order)
    train = rng.integers(1, V, 150)
    # new symbols' contexts, a copy of the training text (counts pass 3 and
    # 4, so the discounts move) and a run of two symbols
    ids = np.concatenate([rng.integers(1, V, 25), train[40:75], train[40:60],
                          np.tile([2, 5], 8)])
    got = online_log2_probabilities(train, ids, V, order=order, method=method)
    np.testing.assert_allclose(got, refitted_every_character(train, ids, order, method),
                               rtol=1e-12, atol=1e-12)
    static = CharNGram(V, order=order, method=method).fit(train).log2_probabilities(ids)
    assert got[-30:].mean() > static[-30:].mean()  # it learned the run


def test_a_text_of_one_character_has_no_score():
    assert online_log2_probabilities(np.arange(1, V), [3], V, order=3).shape == (0,)


@pytest.mark.parametrize("segment", [1, 3])
def test_adapting_scores_are_the_refitted_ones(segment):
    from models.classical.ngram import refitted_log2_probabilities
    from models.classical.online_ngram import adapting_log2_probabilities

    rng = np.random.default_rng(5)
    train, ids = rng.integers(1, V, 100), rng.integers(1, V, 40)
    np.testing.assert_allclose(
        adapting_log2_probabilities(train, ids, segment, vocabulary_size=V, order=3),
        refitted_log2_probabilities(train, ids, segment, vocabulary_size=V, order=3),
        rtol=1e-12)
