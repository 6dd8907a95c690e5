"""`models.classical.setar`: the threshold autoregression recovers a known process,
and its multi-step forecast iterates the one-step map."""

import numpy as np
import pytest

from models.classical.setar import SETAR


def setar_process(length, seed, noise):
    """x_t = 1 + 0.6 x_{t-1} - 0.2 x_{t-2} if x_{t-2} <= 0.5, else
    -1 - 0.5 x_{t-1} + 0.1 x_{t-2}, plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = np.zeros(length)
    for t in range(2, length):
        if x[t - 2] <= 0.5:
            x[t] = 1 + 0.6 * x[t - 1] - 0.2 * x[t - 2]
        else:
            x[t] = -1 - 0.5 * x[t - 1] + 0.1 * x[t - 2]
        x[t] += noise * rng.normal()
    return x


def one_step_pairs(x, lags):
    histories = np.stack([x[i:len(x) - lags + i] for i in range(lags)], axis=1)  # [N, p]
    return histories, x[lags:]


def test_recovers_the_delay_threshold_and_coefficients():
    x = setar_process(3000, seed=1, noise=0.5)  # wide enough for each regime's range
    model = SETAR(lags=2, delays=(1, 2), quantiles=np.linspace(0.1, 0.9, 161)).fit(
        *one_step_pairs(x, 2))
    assert model.delay == 2
    assert model.threshold == pytest.approx(0.5, abs=0.1)
    # coefficients: intercept, then x_{t-2}, x_{t-1}
    np.testing.assert_allclose(model.low, [1, -0.2, 0.6], atol=0.1)
    np.testing.assert_allclose(model.high, [-1, 0.1, -0.5], atol=0.1)


def test_forecast_iterates_the_one_step_map():
    model = SETAR(lags=2, delays=(1, 2))
    model.delay, model.threshold = 1, 0.0
    model.low, model.high = np.array([1.0, 0.0, 0.5]), np.array([-1.0, 0.25, 0.0])
    histories = np.array([[4.0, -2.0], [0.0, 2.0]])  # oldest first

    def by_hand(a, b, steps):
        out = []
        for _ in range(steps):
            nxt = 1 + 0.5 * b if b <= 0 else -1 + 0.25 * a
            out.append(nxt)
            a, b = b, nxt
        return out

    np.testing.assert_allclose(model.forecast(histories, 4),
                               [by_hand(4.0, -2.0, 4), by_hand(0.0, 2.0, 4)])


def test_a_linear_series_leaves_both_regimes_the_same_autoregression():
    # A noise-free AR(2) is fitted exactly by either regime.
    x = np.zeros(200)
    x[:2] = [5.0, 2.0]
    for t in range(2, 200):
        x[t] = 1.6 * x[t - 1] - 0.8 * x[t - 2]
    histories, targets = one_step_pairs(x, 3)
    model = SETAR(lags=3).fit(histories, targets)
    np.testing.assert_allclose(model.forecast(histories[-5:], 1)[:, 0], targets[-5:], atol=1e-8)


def test_rejects_what_it_cannot_fit():
    with pytest.raises(ValueError, match="delays in 1..lags"):
        SETAR(lags=2, delays=(3,))
    with pytest.raises(ValueError, match="too few"):
        SETAR(lags=4).fit(np.ones((12, 4)), np.ones(12))
    with pytest.raises(ValueError, match="not fitted"):
        SETAR(lags=2).forecast(np.ones((1, 2)), 2)
