"""`models.lm.memory`: the nearest-neighbour memory (Khandelwal et al. 2020)
against a NumPy transcription of its equation, one query at a time."""

import numpy as np
import pytest

from models.lm.memory import memory_log2_probabilities, nearest_neighbours

V = 6


def transcription(keys, values, query, target, k, temperature):
    """p_kNN(w) ∝ sum over the k nearest (k_i, v_i) of 1[v_i = w] exp(-d / T),
    d the squared Euclidean distance; log2 of the target's probability."""
    d = ((keys - query) ** 2).sum(axis=1)
    nearest = np.argsort(d, kind="stable")[:k]
    p = np.zeros(V)
    for i in nearest:
        p[values[i]] += np.exp(-d[i] / temperature)
    p /= p.sum()
    return np.log2(p[target]) if p[target] > 0 else -np.inf


@pytest.mark.parametrize("k,block", [(1, 7), (5, 3), (40, 64), (57, 10)])
def test_memory_matches_its_equation(k, block):
    rng = np.random.default_rng(0)
    keys = rng.normal(size=(57, 4)).astype(np.float32)
    values = rng.integers(0, V, 57)
    queries = rng.normal(size=(23, 4)).astype(np.float32)
    targets = rng.integers(0, V, 23)
    temperatures = [0.5, 4.0]
    distances, neighbour_values = nearest_neighbours(keys, values, queries, k, block=block)
    assert distances.shape == neighbour_values.shape == (23, k)
    assert (np.diff(distances, axis=1) >= -1e-5).all()  # nearest first
    got = memory_log2_probabilities(distances, neighbour_values, targets, temperatures)
    with np.errstate(divide="ignore"):
        for temperature, row in zip(temperatures, got, strict=True):
            expected = np.array([transcription(keys, values, q, t, k, temperature)
                                 for q, t in zip(queries, targets, strict=True)])
            np.testing.assert_array_equal(np.isinf(row), np.isinf(expected))
            finite = np.isfinite(expected)
            np.testing.assert_allclose(row[finite], expected[finite], rtol=1e-4, atol=1e-4)
    if k == 1:
        assert np.isinf(got).any() and np.isfinite(got).any()  # both cases occur


def test_a_query_equal_to_a_key_reads_what_followed_it():
    """At a low temperature the memory copies: a state seen in training
    predicts the token that followed it there."""
    rng = np.random.default_rng(1)
    keys = rng.normal(size=(30, 8)).astype(np.float32)
    values = rng.integers(0, V, 30)
    found = nearest_neighbours(keys, values, keys[[4, 17]], 8)
    got = memory_log2_probabilities(*found, values[[4, 17]], 0.01)[0]
    np.testing.assert_allclose(got, 0.0, atol=1e-6)


@pytest.mark.parametrize("k", [0, 31])
def test_more_neighbours_than_keys_are_refused(k):
    with pytest.raises(ValueError, match="neighbours"):
        nearest_neighbours(np.zeros((30, 2)), np.zeros(30), np.zeros((3, 2)), k)


def test_no_score_reads_the_future():
    """Changing character k of the scored text changes no memory score of a
    character before it (the keys hold the training text only)."""
    from models.lm import CharLanguageModel, log2_probabilities

    model = CharLanguageModel(V, embedding_dim=4, units=8)
    model.build((None, None))
    rng = np.random.default_rng(2)
    train = rng.integers(1, V, 80).astype("int32")
    _, keys = log2_probabilities(model, train, window=16, return_hidden=True)
    ids = rng.integers(1, V, 50).astype("int32")
    k = 31
    changed = ids.copy()
    changed[k] = 1 + ids[k] % (V - 1)

    def scores(stream):
        _, queries = log2_probabilities(model, stream, window=16, return_hidden=True)
        found = nearest_neighbours(keys, train[1:], queries, 10)
        return memory_log2_probabilities(*found, stream[1:], 1.0)[0]

    before, after = scores(ids), scores(changed)
    np.testing.assert_array_equal(before[:k - 1], after[:k - 1])  # scores of ids[1..k-1]
    assert not np.array_equal(before[k - 1:], after[k - 1:])
