"""`pipeline.core.ensemble`: per-item mixture weights by EM."""

import numpy as np
import pytest

from pipeline.core import ensemble


def test_weights_maximise_the_likelihood():
    # Model 1 gives three items probability 1 and one item 0; model 2 the
    # opposite: the likelihood w^3 (1 - w) peaks at w = 3/4.
    with np.errstate(divide="ignore"):
        log2_probs = np.log2(np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]))
    weights = ensemble.fit_mixture_weights(log2_probs, iterations=500, tolerance=0)
    np.testing.assert_allclose(weights, [0.75, 0.25], atol=1e-6)
    np.testing.assert_allclose(ensemble.mixture_log2(log2_probs, weights),
                               np.log2([0.75, 0.75, 0.75, 0.25]))


def test_a_useless_model_gets_no_weight():
    rng = np.random.default_rng(0)
    good = np.log2(rng.uniform(0.5, 1.0, 200))
    weights = ensemble.fit_mixture_weights(np.stack([good, good - 3]), iterations=1000)
    assert weights[1] < 1e-3 and weights.sum() == pytest.approx(1.0)


def test_bad_shape():
    with pytest.raises(ValueError, match="models, items"):
        ensemble.fit_mixture_weights(np.zeros(3))


def test_online_weights_follow_their_update_rule():
    """`online_mixture_log2` against its equation, one item at a time, and
    rate 0 is the fixed mixture."""
    rng = np.random.default_rng(1)
    log2_probs = np.log2(rng.uniform(1e-4, 1.0, (3, 50)))
    start = np.array([0.5, 0.3, 0.2])
    for rate in (0.0, 0.1, 1.0):
        w, expected = start.copy(), []
        for t in range(50):
            p = 2.0 ** log2_probs[:, t]
            expected.append(np.log2(w @ p))
            w = (1 - rate) * w + rate * w * p / (w @ p)
        np.testing.assert_allclose(ensemble.online_mixture_log2(log2_probs, start, rate),
                                   expected, rtol=1e-12)
    np.testing.assert_allclose(ensemble.online_mixture_log2(log2_probs, start, 0.0),
                               ensemble.mixture_log2(log2_probs, start), rtol=1e-12)


def test_online_weights_move_to_the_model_that_predicts_lately():
    """A text whose second half only model 2 predicts: learning the weights
    online scores that half better than the fixed weights, and no score
    reads a later item."""
    first = np.log2(np.stack([np.full(100, 0.9), np.full(100, 0.01)]))
    log2_probs = np.concatenate([first, first[::-1]], axis=1)  # [2, 200]
    start = np.array([0.99, 0.01])
    online = ensemble.online_mixture_log2(log2_probs, start, 0.1)
    fixed = ensemble.mixture_log2(log2_probs, start)
    assert online[150:].mean() > fixed[150:].mean() + 2
    changed = log2_probs.copy()
    changed[:, 120:] = np.log2(0.5)
    np.testing.assert_array_equal(ensemble.online_mixture_log2(changed, start, 0.1)[:120],
                                  online[:120])
    with pytest.raises(ValueError, match="rate"):
        ensemble.online_mixture_log2(log2_probs, start, 1.5)
