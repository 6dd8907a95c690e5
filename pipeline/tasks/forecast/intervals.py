"""Split-conformal prediction intervals from rolling-origin residuals.

The network's absolute errors at the validation origins calibrate one
half-width per step ahead: with N calibration origins and nominal level
`1 - alpha`, the half-width of step h is the ceil((N + 1)(1 - alpha))-th
smallest |e_{o,h}| (split conformal prediction: Vovk, Gammerman and Shafer,
Algorithmic Learning in a Random World, 2005; Lei, G'Sell, Rinaldo,
Tibshirani and Wasserman, "Distribution-free predictive inference for
regression", JASA 113(523), 2018; for multi-step forecasts one quantile per
horizon, Stankeviciute, Alaa and van der Schaar, "Conformal time-series
forecasting", NeurIPS 2021). The interval of a forecast is
`[forecast - w_h, forecast + w_h]`. Coverage is guaranteed for exchangeable
errors; a series' errors are not, so the test origins measure it.
"""

import math

import numpy as np


def half_widths(residuals, level):
    """`[H]` half-widths from `[N, H]` calibration residuals at nominal
    `level` (below 1; needs ceil((N + 1) level) <= N origins)."""
    residuals = np.abs(np.asarray(residuals, "float64"))
    n = len(residuals)
    rank = math.ceil((n + 1) * level)
    if not 0 < level < 1 or rank > n:
        raise ValueError(f"{n} calibration origins are too few for level {level}. "
                         f"Received: interval_level={level}")
    return np.sort(residuals, axis=0)[rank - 1]


def coverage(forecasts, widths, targets):
    """The share of targets inside `forecast -+ width`."""
    e = np.abs(np.asarray(targets, "float64") - np.asarray(forecasts, "float64"))
    return float(np.mean(e <= np.asarray(widths)[None, :]))


def run_half_widths(server, series, prepared, level):
    """`[H]` half-widths of a trained run: its server's residuals at every
    validation origin."""
    from pipeline.tasks.forecast.data import split_windows

    histories, targets, _ = split_windows(series, prepared, "validation", server.window,
                                          server.model.horizon)
    return half_widths(server(histories).numpy() - targets, level)
