"""A classical forecasting baseline: a statsmodels ARIMA fitted on a
training segment, forecasting H steps from given origins (the forecast
task's baseline, `pipeline/tasks/forecast/`).

Box-Jenkins ARIMA(p, d, q), optionally seasonal, is fitted once by exact
maximum likelihood (the state-space Kalman filter of
`statsmodels.tsa.arima.model.ARIMA`) on the training segment only. A long
or non-integer season (weekly data: 52.18 weeks a year) enters as K
Fourier pairs ``sin(2 pi k t / period), cos(2 pi k t / period)`` regressed
on, with ARIMA errors ("dynamic harmonic regression", Hyndman and
Athanasopoulos, Forecasting: Principles and Practice, 3rd ed., section
10.5): a few parameters where a seasonal ARIMA of period 52 would carry a
53-dimensional state and takes minutes to fit. Its
parameters are then frozen, and from each test origin `o` it forecasts
`y[o], ..., y[o+H-1]` conditioned on `y[:o]`, the same history the network
may see (the Kalman filter runs over the history with the frozen parameters;
nothing is refitted, so no test value ever shapes a parameter, and no value
at or after the origin is seen).
"""

import time
import warnings

import numpy as np


def describe(order, seasonal_order=(0, 0, 0, 0), trend="c", period=0.0, harmonics=0):
    """A readable name, e.g. `"ARIMA(9,0,0) trend c"`."""
    name = "ARIMA({},{},{})".format(*order)
    if any(seasonal_order[:3]):
        name += "({},{},{})[{}]".format(*seasonal_order)
    if harmonics:
        name += f" + {harmonics} Fourier pairs of period {period:g}"
    return f"{name} trend {trend}"


def fourier(steps, period, harmonics):
    """`[len(steps), 2 * harmonics]` regressors ``sin, cos(2 pi k t / period)``
    for k = 1..harmonics (None when `harmonics` is 0)."""
    if not harmonics:
        return None
    angle = 2 * np.pi * np.outer(np.asarray(steps, "float64"), np.arange(1, harmonics + 1))
    angle /= period
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


class Baseline:
    """An ARIMA fitted on a training segment that starts at step 0.

    Args:
        train: the training values (1-D).
        order: `(p, d, q)`.
        seasonal_order: `(P, D, Q, s)`; `(0, 0, 0, 0)` for none.
        trend: statsmodels trend: `"n"`, `"c"`, `"t"` (a drift once
            differenced), `"ct"`.
        period, harmonics: Fourier regressors (0 harmonics = none).

    Raises:
        ValueError: Fourier terms without a period > 0, or a constant
            trend with differencing; the message ends `Received: name=value`.

    Attributes:
        results: the fitted `ARIMAResults`.
        info: model name, AIC, training values, fit time in seconds.
    """

    def __init__(self, train, order, seasonal_order=(0, 0, 0, 0), trend="c", period=0.0,
                 harmonics=0):
        from statsmodels.tsa.arima.model import ARIMA

        if harmonics and period <= 0:
            raise ValueError(f"Fourier terms need a period > 0. Received: period={period}")
        if "c" in trend and (order[1] or seasonal_order[1]):
            raise ValueError("a constant is differenced away when d > 0; use t (a drift) or n. "
                             f"Received: trend={trend}")
        self.period, self.harmonics = period, harmonics
        # A time trend is a regressor of ours, not statsmodels' `trend`:
        # `results.extend` restarts statsmodels' trend clock at 1 (0.15).
        self.time_trend = "t" in trend
        train = np.asarray(train, "float64")
        self.train_values = len(train)
        start = time.perf_counter()
        with warnings.catch_warnings():
            # Start-value and convergence notices of the optimiser: the AIC
            # in `info` is what to judge the fit by.
            warnings.simplefilter("ignore")
            self.results = ARIMA(train, exog=self.exog(0, len(train)), order=order,
                                 seasonal_order=seasonal_order,
                                 trend="c" if "c" in trend else "n").fit()
        self.info = {"model": describe(order, seasonal_order, trend, period, harmonics),
                     "aic": float(self.results.aic), "train_values": int(len(train)),
                     "fit_seconds": round(time.perf_counter() - start, 3)}

    def exog(self, start, stop):
        """The regressors of steps `[start, stop)`: the time (if a time
        trend), then the Fourier pairs; None when there are none."""
        columns = []
        if self.time_trend:
            columns.append(np.arange(start, stop, dtype="float64")[:, None])
        if self.harmonics:
            columns.append(fourier(np.arange(start, stop), self.period, self.harmonics))
        return np.concatenate(columns, axis=1) if columns else None

    def forecasts(self, series, origins, horizon):
        """`[N, horizon]` forecasts of `series[o : o + horizon]` from each
        origin `o` (ascending), each conditioned on `series[:o]` only, with
        the fitted parameters (nothing is refitted).

        From the end of the training segment the Kalman filter is extended
        origin by origin with the values observed since the previous one
        (`results.extend`), so the state at `o` summarises `series[:o]`
        exactly as a filter run from the start would; an origin inside the
        training segment is filtered from the start (`results.apply`).
        """
        series = np.asarray(series, "float64")
        out = []
        state, end = self.results, self.train_values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for o in origins:
                if o < end:
                    current = self.results.apply(series[:o], exog=self.exog(0, o))
                else:
                    if o > end:
                        state = state.extend(series[end:o], exog=self.exog(end, o))
                        end = o
                    current = state
                out.append(current.forecast(horizon, exog=self.exog(o, o + horizon)))
        return np.asarray(out, "float64")
