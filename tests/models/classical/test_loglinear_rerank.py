"""The log-linear n-best reranker: its objective, its fit, cross-fitting."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from models.classical import loglinear_rerank


def lists(seed=0, words=400, k=4):
    """Candidates whose rightness depends on feature 0 (weight 2), not on
    feature 1 (noise), with some lists holding no right candidate and some
    candidates missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(words, k, 2))
    logits = 2.0 * x[..., 0]
    pick = np.array([rng.choice(k, p=np.exp(r) / np.exp(r).sum()) for r in logits])
    right = np.zeros((words, k), bool)
    right[np.arange(words), pick] = True
    right[: words // 10] = False  # no right candidate
    valid = np.ones((words, k), bool)
    valid[::7, -1] = False
    return x, valid, right & valid


def test_gradient_matches_finite_differences():
    x, valid, right = lists()
    keep = right.any(axis=1)
    args = (np.where(valid[keep][..., None], x[keep], 0.0), valid[keep], right[keep], 1e-3)
    for theta in (np.array([0.3, -0.2]), np.array([2.0, 0.5])):
        error = check_grad(lambda t: loglinear_rerank.objective(t, *args)[0],
                           lambda t: loglinear_rerank.objective(t, *args)[1], theta)
        assert error < 1e-5


def test_fit_recovers_the_informative_feature():
    """Maximum likelihood on data drawn from the model itself lands near
    the true weights (2, 0), and ranks better than equal weights."""
    x, valid, right = lists(words=4000)
    theta = loglinear_rerank.fit(x, valid, right, l2=0.0)
    assert theta == pytest.approx([2.0, 0.0], abs=0.15)
    scores = loglinear_rerank.scores(x, valid, theta)
    assert np.all(np.isinf(scores[~valid]))
    top = right[np.arange(len(x)), scores.argmax(axis=1)].mean()
    flat = right[np.arange(len(x)), loglinear_rerank.scores(x, valid, np.ones(2)).argmax(axis=1)]
    assert top > flat.mean()


def test_fit_with_no_right_candidate_keeps_equal_weights():
    x, valid, right = lists()
    assert list(loglinear_rerank.fit(x, valid, np.zeros_like(right))) == [0.5, 0.5]


def test_cross_fitted_scores_use_the_other_folds_weights():
    x, valid, right = lists()
    folds = np.arange(len(x)) % 3
    crossed = loglinear_rerank.cross_fitted_scores(x, valid, right, folds)
    for fold in range(3):
        held = folds == fold
        theta = loglinear_rerank.fit(x[~held], valid[~held], right[~held])
        assert np.array_equal(crossed[held], loglinear_rerank.scores(x[held], valid[held], theta))
