"""A log-linear n-best reranker fitted by maximum conditional likelihood.

Every candidate k of an n-best list (one list per source word) has a
feature vector f_k (models' log-probabilities, its length, ...); the
reranker scores it theta . f_k and picks the highest. theta maximises the
conditional log-likelihood of the right candidates among each list's
(Och and Ney 2002, section 2; with several right candidates per list, as
in Charniak and Johnson 2005, their probability is summed):

    L(theta) = (1/W) sum_w log [ sum_{k right} exp(theta . f_wk)
                                 / sum_k exp(theta . f_wk) ] - l2 ||theta||^2

over the lists holding at least one right candidate (the others carry no
gradient). L is concave; L-BFGS finds its maximum.

References:
    Franz Josef Och and Hermann Ney (2002), "Discriminative training and
    maximum entropy models for statistical machine translation", ACL.
    Eugene Charniak and Mark Johnson (2005), "Coarse-to-fine n-best parsing
    and MaxEnt discriminative reranking", ACL.
"""

import numpy as np


def fit(features, valid, right, l2=1e-3):
    """theta `[F]` (float64) from features `[W, K, F]`, `valid [W, K]`
    (false: no such candidate) and `right [W, K]` (bool). The search
    starts from equal weights 1/F, which it returns when no list holds a
    right candidate (nothing to learn from)."""
    from scipy.optimize import minimize

    features = np.asarray(features, np.float64)
    right = np.asarray(right, bool) & valid
    keep = right.any(axis=1)
    start = np.full(features.shape[-1], 1.0 / features.shape[-1])
    if not keep.any():
        return start
    data = (np.where(valid[keep][..., None], features[keep], 0.0), valid[keep], right[keep], l2)
    return minimize(objective, start, args=data, jac=True, method="L-BFGS-B").x


def objective(theta, features, valid, right, l2):
    """`(-L(theta), -dL/dtheta)` over lists that each hold a right candidate
    (features zero where not valid)."""
    scores = np.where(valid, features @ theta, -np.inf)  # [W, K]
    scores -= scores.max(axis=1, keepdims=True)
    e = np.exp(scores)  # 0 where not valid
    z, z_right = e.sum(axis=1), (e * right).sum(axis=1)  # [W]
    p, q = e / z[:, None], e * right / z_right[:, None]  # model and right-only posteriors
    grad = ((q - p)[..., None] * features).sum(axis=(0, 1)) / len(features)
    value = np.mean(np.log(z_right) - np.log(z))
    return -(value - l2 * theta @ theta), -(grad - 2 * l2 * theta)


def scores(features, valid, theta):
    """theta . f `[W, K]`, -inf where not valid."""
    return np.where(valid, np.asarray(features, np.float64) @ theta, -np.inf)


def cross_fitted_scores(features, valid, right, folds, l2=1e-3):
    """`scores` where each list is scored by the theta fitted on the lists
    of the other folds (`folds [W]` int): an honest estimate on the data
    that also fits the reranker."""
    out = np.empty(np.shape(valid))
    for fold in np.unique(folds):
        held = folds == fold
        theta = fit(features[~held], valid[~held], right[~held], l2)
        out[held] = scores(features[held], valid[held], theta)
    return out
