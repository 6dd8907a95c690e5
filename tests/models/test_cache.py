"""`models.lm.cache`: the continuous cache (Grave et al. 2017) against a NumPy
transcription of its equation, and causality: no character's score reads
the characters after it, statically and inside dynamic evaluation."""

import numpy as np
import pytest

from models.lm import (
    CharLanguageModel,
    cache_log2_probabilities,
    dynamic_log2_probabilities,
    log2_probabilities,
)

V = 7


def transcription(hidden, targets, theta, window, fallback):
    """p_cache(w) ∝ sum_{t-W <= i < t} 1[x_{i+1} = w] exp(theta h_t . h_i),
    one position at a time; log2 of the target's probability."""
    out = []
    for t in range(len(targets)):
        keys = range(max(0, t - window), t)
        if not keys:
            out.append(fallback[t])
            continue
        p = np.zeros(V)
        for i in keys:
            p[targets[i]] += np.exp(theta * hidden[t] @ hidden[i])
        p /= p.sum()
        out.append(np.log2(p[targets[t]]) if p[targets[t]] > 0 else -np.inf)
    return np.array(out)


@pytest.mark.parametrize("window,block", [(7, 8), (7, 3), (100, 16), (1, 5)])
def test_cache_matches_its_equation(window, block):
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(41, 5)).astype(np.float32)
    targets = rng.integers(1, V, 41)
    fallback = rng.normal(size=41) - 3
    thetas = [0.3, 2.0]
    got = cache_log2_probabilities(hidden, targets, thetas, window, fallback, block=block)
    with np.errstate(divide="ignore"):
        for theta, row in zip(thetas, got, strict=True):
            expected = transcription(hidden, targets, theta, window, fallback)
            np.testing.assert_array_equal(np.isinf(row), np.isinf(expected))
            finite = np.isfinite(expected)
            np.testing.assert_allclose(row[finite], expected[finite], rtol=1e-5, atol=1e-5)
    assert np.isinf(got).any() and np.isfinite(got).any()  # both cases occur


def test_an_empty_window_leaves_every_position_to_the_fallback():
    hidden = np.ones((6, 3), np.float32)
    fallback = np.arange(6.0)
    got = cache_log2_probabilities(hidden, np.arange(1, 7), 1.0, 0, fallback)
    np.testing.assert_array_equal(got[0], fallback)


def make():
    model = CharLanguageModel(V, embedding_dim=4, units=8)
    model.build((None, None))
    return model


@pytest.mark.parametrize("dynamic", [False, True])
def test_no_score_reads_the_future(dynamic):
    """Changing character k changes no score of a character before it: the
    model's, the cache's, and their mixture's."""
    model = make()
    ids = np.random.default_rng(1).integers(1, V, 60).astype("int32")
    k = 37
    changed = ids.copy()
    changed[k] = 1 + ids[k] % (V - 1)

    def scores(stream):
        if dynamic:
            log2_p, hidden = dynamic_log2_probabilities(model, stream, 0.5, segment=10,
                                                        return_hidden=True)
        else:
            log2_p, hidden = log2_probabilities(model, stream, window=16, return_hidden=True)
        cache = cache_log2_probabilities(hidden, stream[1:], 1.0, 20, log2_p)[0]
        return log2_p, cache, np.logaddexp2(log2_p - 1, cache - 1)

    for before, after in zip(scores(ids), scores(changed), strict=True):
        # position t scores ids[t + 1]: the characters before k are t < k - 1
        np.testing.assert_array_equal(before[:k - 1], after[:k - 1])
        assert not np.array_equal(before[k - 1:], after[k - 1:])


def test_hidden_states_are_those_the_softmax_reads():
    model = make()
    ids = np.random.default_rng(2).integers(1, V, 30).astype("int32")
    log2_p, hidden = log2_probabilities(model, ids, window=8, return_hidden=True)
    h, _ = model.features(ids[None, :-1])
    np.testing.assert_allclose(hidden, h[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(log2_p, log2_probabilities(model, ids, window=8), rtol=1e-6)
