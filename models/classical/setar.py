"""A two-regime self-exciting threshold autoregression (SETAR), the
classical nonlinear model of the sunspot cycle, as a reference for the
forecast backtest.

Tong and Lim (1980) let the autoregression switch with the level the
series had d steps back:

    x_t = a_1 + b_1^T (x_{t-1}, ..., x_{t-p})  + e_t   if x_{t-d} <= r
    x_t = a_2 + b_2^T (x_{t-1}, ..., x_{t-p})  + e_t   otherwise

so the rise and the decay of a cycle can follow different dynamics (the
sunspot cycle rises faster than it falls, which no linear AR reproduces).
The delay d and the threshold r are chosen by conditional least squares
(Chan 1993): for each candidate pair the two regressions are fitted by
least squares and the pair with the smallest summed squared residual is
kept; thresholds are searched over the quantiles of x_{t-d} that leave each
regime enough rows. Forecasts several steps ahead iterate the fitted
one-step map on its own predictions (the skeleton; Tong 1990, section 6.2).

References:
    Howell Tong and K. S. Lim (1980), "Threshold autoregression, limit
    cycles and cyclical data", Journal of the Royal Statistical Society B
    42(3), 245-292.
    K. S. Chan (1993), "Consistency and limiting distribution of the least
    squares estimator of a threshold autoregressive model", The Annals of
    Statistics 21(1), 520-533.
    Howell Tong (1990), Non-linear Time Series: A Dynamical System
    Approach, Oxford University Press.
"""

import numpy as np

from models.forecaster import lag_design

#: the default candidate thresholds: every 2.5% from the 15% to the 85%
#: quantile of x_{t-d}
QUANTILES = np.linspace(0.15, 0.85, 29)


def _least_squares(design, targets):
    coefficients = np.linalg.lstsq(design, targets, rcond=None)[0]
    return coefficients, float(np.sum((targets - design @ coefficients) ** 2))


class SETAR:
    """SETAR(2; p, p) fitted on one-step pairs.

    Args:
        lags: p, the autoregressive order of both regimes.
        delays: the candidate delays d (each at most p; None: 1 to
            min(p, 4)).
        quantiles: the candidate thresholds, as quantiles of x_{t-d}
            (`QUANTILES` by default).

    Attributes (after `fit`):
        delay, threshold: the chosen d and r.
        low, high: `[1 + p]` coefficients of the regimes x_{t-d} <= r and
            x_{t-d} > r: the intercept, then x_{t-p} .. x_{t-1} (the
            columns of `models.forecaster.lag_design`).

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = np.zeros(400)
    >>> for t in range(2, 400):  # the regime follows x_{t-2}, threshold 0
    ...     x[t] = (0.6 * x[t - 1] + 1 if x[t - 2] <= 0 else -0.5 * x[t - 1] - 1
    ...             ) + 0.1 * rng.normal()
    >>> histories = np.stack([x[:-2], x[1:-1]], axis=1)  # [N, 2], oldest first
    >>> model = SETAR(lags=2, delays=(1, 2)).fit(histories, x[2:])
    >>> model.delay, round(model.threshold, 1)
    (2, 0.0)
    """

    def __init__(self, lags, delays=None, quantiles=QUANTILES):
        if delays is None:
            delays = range(1, min(lags, 4) + 1)
        if lags < 1 or not delays or max(delays) > lags or min(delays) < 1:
            raise ValueError(f"need lags >= 1 and delays in 1..lags. Received: lags={lags}, "
                             f"delays={delays}")
        self.lags, self.delays, self.quantiles = lags, tuple(delays), np.asarray(quantiles)
        self.delay = self.threshold = self.low = self.high = None

    def fit(self, histories, next_values):
        """Fits on histories `[N, T]` (T >= p, oldest first) and the values
        that follow them `[N]`; returns self."""
        histories = np.asarray(histories, "float64")[:, -self.lags:]  # [N, p]
        next_values = np.asarray(next_values, "float64")
        design = lag_design(histories, self.lags)  # [N, 1 + p]
        least = self.lags + 2  # rows a regime needs beyond its coefficients
        best = None
        for d in self.delays:
            level = histories[:, -d]  # x_{t-d}
            for r in np.unique(np.quantile(level, self.quantiles)):
                low = level <= r
                if min(low.sum(), (~low).sum()) < self.lags + 1 + least:
                    continue
                a, sse_low = _least_squares(design[low], next_values[low])
                b, sse_high = _least_squares(design[~low], next_values[~low])
                if best is None or sse_low + sse_high < best[0]:
                    best = (sse_low + sse_high, d, float(r), a, b)
        if best is None:
            raise ValueError(f"{len(histories)} rows are too few for two regimes of "
                             f"{self.lags} lags")
        _, self.delay, self.threshold, self.low, self.high = best
        return self

    def forecast(self, histories, horizon):
        """`[N, horizon]` iterated forecasts from histories `[N, T]`."""
        if self.low is None:
            raise ValueError("the model is not fitted; call fit() first")
        window = np.asarray(histories, "float64")[:, -self.lags:].copy()  # [N, p]
        out = []
        for _ in range(horizon):
            design = lag_design(window, self.lags)
            step = np.where(window[:, -self.delay] <= self.threshold, design @ self.low,
                            design @ self.high)  # [N]
            out.append(step)
            window = np.concatenate([window[:, 1:], step[:, None]], axis=1)
        return np.stack(out, axis=1)
