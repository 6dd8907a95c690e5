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
