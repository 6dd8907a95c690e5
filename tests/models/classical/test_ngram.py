"""`models.classical.ngram`: the character n-gram baseline of the LM task, against
a dictionary transcription of Chen and Goodman (1998)."""

import collections
import math

import numpy as np
import pytest

from models.classical.ngram import CharNGram, refitted_log2_probabilities

V = 7  # ids 1..6 are symbols


def reference_model(train, order, vocabulary_size, method):
    """p(w | history) written from the equations, with dicts of tuples."""
    raw = {k: collections.Counter(tuple(train[i:i + k]) for i in range(len(train) - k + 1))
           for k in range(1, order + 1)}
    table = {}
    for k in range(1, order + 1):
        if method == "kneser_ney" and k < order:
            # continuation count: distinct symbols seen before the k-gram
            table[k] = collections.Counter(g[1:] for g in raw[k + 1])
        else:
            table[k] = raw[k]
    discounts = {}
    for k, counts in table.items():
        n = [sum(1 for c in counts.values() if c == i) for i in range(5)]
        if min(n[1:]) == 0:
            d = n[1] / (n[1] + 2 * n[2]) if n[1] else 0.5
            discounts[k] = (0.0, min(d, 1.0), min(d, 1.0), min(d, 1.0))
        else:
            y = n[1] / (n[1] + 2 * n[2])
            discounts[k] = (0.0, min(max(1 - 2 * y * n[2] / n[1], 0), 1),
                            min(max(2 - 3 * y * n[3] / n[2], 0), 2),
                            min(max(3 - 4 * y * n[4] / n[3], 0), 3))

    def prob(history, w):
        p = 1.0 / (vocabulary_size - 1)
        for k in range(1, order + 1):
            if k - 1 > len(history):
                break
            context = tuple(history[len(history) - (k - 1):]) if k > 1 else ()
            followers = {g[-1]: c for g, c in table[k].items() if g[:-1] == context}
            total = sum(followers.values())
            if not total:
                continue
            c = followers.get(w, 0)
            if method == "kneser_ney":
                d = discounts[k]
                gamma = sum(d[min(x, 3)] for x in followers.values())
                p = (max(c - d[min(c, 3)], 0.0) + gamma * p) / total
            else:
                p = (c + len(followers) * p) / (total + len(followers))
        return p

    return prob


@pytest.mark.parametrize("method", ["kneser_ney", "witten_bell"])
@pytest.mark.parametrize("order", [1, 3, 5])
def test_matches_the_equations(method, order):
    rng = np.random.default_rng(order)
    # a skewed, partly repetitive text, so every count-of-count occurs
    train = np.concatenate([rng.choice(np.arange(1, V), 400, p=[.4, .2, .15, .1, .1, .05]),
                            np.tile([1, 2, 3, 1, 2, 4], 30)])
    test = rng.integers(1, V, 60)
    model = CharNGram(V, order=order, method=method).fit(train)
    reference = reference_model(train.tolist(), order, V, method)
    expected = [math.log2(reference(test[max(0, t - order + 1):t].tolist(), test[t]))
                for t in range(1, len(test))]
    np.testing.assert_allclose(model.log2_probabilities(test), expected, rtol=1e-10)


@pytest.mark.parametrize("method", ["kneser_ney", "witten_bell"])
def test_high_orders_over_a_large_vocabulary_match_the_equations(method):
    """Order 7 over 5000 symbols: base-b codes would need 86 bits; codes
    built on the ranks of the prefixes fit in 64 and give the same model."""
    rng = np.random.default_rng(7)
    vocabulary = 5000
    symbols = rng.choice(np.arange(1, vocabulary), 12, replace=False)
    phrase = rng.choice(symbols, 9)
    train = np.concatenate([rng.choice(symbols, 200), np.tile(phrase, 12),
                            rng.choice(symbols, 100), phrase])
    test = np.concatenate([phrase, rng.choice(symbols, 20), phrase[:5], [vocabulary - 1]])
    model = CharNGram(vocabulary, order=7, method=method).fit(train)
    reference = reference_model(train.tolist(), 7, vocabulary, method)
    expected = [math.log2(reference(test[max(0, t - 6):t].tolist(), test[t]))
                for t in range(1, len(test))]
    np.testing.assert_allclose(model.log2_probabilities(test), expected, rtol=1e-10)


@pytest.mark.parametrize("method", ["kneser_ney", "witten_bell"])
def test_distributions_sum_to_one(method):
    rng = np.random.default_rng(0)
    model = CharNGram(V, order=4, method=method).fit(rng.integers(1, V - 1, 500))
    for history in ([], [1], [2, 3], [5, 5, 5], [6, 6, 6, 6], [1, 2, 3, 4, 5]):
        p = model.distribution(history)
        assert p.shape == (V,) and p[0] == 0.0
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert p[6] > 0  # never seen in training, still possible (OOV-like)


def test_a_symbol_never_seen_keeps_some_probability_when_no_count_is_one():
    """Every symbol of this text follows at least two distinct symbols, so no
    unigram continuation count is 1 and eq. (19) gives no discount: the
    fallback discount still leaves mass for symbol 6, which never occurs.
    (A Kneser-Ney model per language met this: German words never show a
    letter only Spanish has, and that letter got probability 0.)"""
    text = np.tile([1, 2, 3, 1, 3, 2, 2, 1, 3, 3], 20)
    model = CharNGram(V, order=3).fit(text)
    assert model.orders[1].count_of_counts(1) == 0
    for history in ([], [1], [1, 2]):
        p = model.distribution(history)
        assert p[6] > 0 and p.sum() == pytest.approx(1.0, abs=1e-12)


def test_longer_context_learns_a_periodic_text():
    """The Markov order matters (Xiaogang Wang, "Recurrent Neural Network",
    CUHK 2019, slide 8): a period-4 text is nearly certain with 2 characters
    of history, not with none."""
    text = np.tile([2, 3, 4, 5], 200)
    unigram = CharNGram(V, order=1).fit(text).bits_per_character(text[:100])
    trigram = CharNGram(V, order=3).fit(text).bits_per_character(text[:100])
    assert unigram == pytest.approx(2.0, abs=0.05)
    assert trigram < 0.1


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="order"):
        CharNGram(V, order=0)
    with pytest.raises(ValueError, match="method"):
        CharNGram(V, method="laplace")
    with pytest.raises(ValueError, match="64-bit"):
        CharNGram(2 ** 60, order=2).fit([1, 2, 3, 4])
    with pytest.raises(ValueError, match="ids must lie"):
        CharNGram(V, order=2).fit([0, 1, 2])
    with pytest.raises(ValueError, match="not fitted"):
        CharNGram(V).log2_probabilities([1, 2, 3])


@pytest.mark.parametrize("segment", [1, 4, 100])
def test_refitted_model_counts_the_text_before_each_segment(segment):
    """Each character is scored by the model fitted on the training text
    followed by the scored text up to the segment the character is in."""
    rng = np.random.default_rng(0)
    train, ids = rng.integers(1, V, 200), rng.integers(1, V, 23)
    got = refitted_log2_probabilities(train, ids, segment, vocabulary_size=V, order=3)
    assert got.shape == (22,)
    for t in range(1, len(ids)):  # target ids[t], in the segment starting at target t0
        t0 = (t - 1) // segment * segment + 1
        model = CharNGram(V, order=3).fit(np.concatenate([train, ids[:t0]]))
        window = model.windows(ids)[t - 1]
        assert got[t - 1] == pytest.approx(np.log2(model.probabilities(window[None])[0]))
    static = CharNGram(V, order=3).fit(np.concatenate([train, ids[:1]])).log2_probabilities(ids)
    np.testing.assert_allclose(got[:segment], static[:segment])


def test_refitting_learns_a_phrase_that_the_training_text_lacks():
    train = np.tile([2, 3], 100)
    ids = np.tile([4, 5, 6], 30)
    static = -CharNGram(V, order=3).fit(train).log2_probabilities(ids)
    refitted = -refitted_log2_probabilities(train, ids, 10, vocabulary_size=V, order=3)
    assert refitted[30:].mean() < 0.5 < 2.0 < static[30:].mean()
    with pytest.raises(ValueError, match="segment"):
        refitted_log2_probabilities(train, ids, 0, vocabulary_size=V)
