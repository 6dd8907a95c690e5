"""Prediction intervals by conformal prediction over rolling-origin residuals,
scaled to each origin's recent volatility and updated as targets arrive.

Split conformal prediction (Vovk, Gammerman and Shafer, Algorithmic Learning
in a Random World, 2005; Lei, G'Sell, Rinaldo, Tibshirani and Wasserman,
"Distribution-free predictive inference for regression", JASA 113(523),
2018): with N calibration scores and nominal level `1 - alpha`, the
half-width is the ceil((N + 1)(1 - alpha))-th smallest score; for multi-step
forecasts one quantile per step ahead (Stankeviciute, Alaa and van der
Schaar, "Conformal time-series forecasting", NeurIPS 2021).

Two changes make it fit a series, whose errors are not exchangeable:

- **Locally scaled scores** (Lei et al. 2018, section 5.2): the score of an
  origin o is `|e_{o,h}| / s_o`, where `s_o` is the mean absolute one-step
  change over the network's input window before o (`window_scales`), so an
  interval widens in a volatile stretch of the series. The half-width at o
  is `s_o` times the quantile of the scores.
- **Online calibration** (as in adaptive conformal inference, Gibbs and
  Candes, "Adaptive conformal inference under distribution shift", NeurIPS
  2021, the calibration set grows with the series): at a scored origin o,
  step h, the scores are those of the validation origins and of the
  scored block's earlier origins o' whose target o' + h is already observed
  (o' + h <= o, targets counted from 1), never a later one
  (`online_half_widths`).

The export has no memory of the origins it answered, so it serves the
quantiles of the validation scores (`scaled_quantiles`) times the window's
`s`. Coverage is guaranteed only for exchangeable scores; the test origins
measure it.
"""

import math

import numpy as np

#: The floor of a window's scale, relative to the training segment's standard
#: deviation: a flat window gives a zero-width interval, not a division by zero.
SCALE_FLOOR = 1e-6


def conformal_rank(n, level):
    """The 1-based rank of the half-width among `n` scores at `level`;
    ValueError when `n` is too small for it."""
    rank = math.ceil((n + 1) * level)
    if not 0 < level < 1 or rank > n:
        raise ValueError(f"{n} calibration origins are too few for level {level}. "
                         f"Received: interval_level={level}")
    return rank


def half_widths(residuals, level):
    """`[H]` half-widths from `[N, H]` calibration residuals (or scores) at
    nominal `level` (below 1; needs ceil((N + 1) level) <= N origins)."""
    residuals = np.abs(np.asarray(residuals, "float64"))
    return np.sort(residuals, axis=0)[conformal_rank(len(residuals), level) - 1]


def window_scales(histories, floor=0.0):
    """`[N]` scales of `[N, W]` input windows: the mean absolute change
    between neighbouring values, at least `floor`."""
    histories = np.asarray(histories, "float64")
    return np.maximum(np.mean(np.abs(np.diff(histories, axis=1)), axis=1), floor)


def scaled_quantiles(residuals, scales, level):
    """`[H]` quantiles of the scores `|e_{o,h}| / s_o` of `[N, H]` residuals
    and `[N]` scales: what the export multiplies by its window's scale."""
    return half_widths(np.abs(np.asarray(residuals, "float64"))
                       / np.asarray(scales, "float64")[:, None], level)


def online_half_widths(calibration, block, level):
    """`[M, H]` half-widths at the origins of a scored block, calibrated
    online (module docstring).

    Args:
        calibration: `(residuals [N, H], scales [N], origins [N])` of the
            validation origins.
        block: the same of the scored block's M origins, in origin order;
            its residuals enter the calibration only once observed.
        level: nominal coverage, below 1.
    """
    def scores(residuals, scales):
        return np.abs(np.asarray(residuals, "float64")) / np.asarray(scales, "float64")[:, None]

    pool = np.concatenate([scores(*calibration[:2]), scores(*block[:2])])  # [N + M, H]
    pool_origins = np.concatenate([calibration[2], block[2]])  # [N + M]
    widths = np.empty(pool.shape[1:], "float64")[None].repeat(len(block[2]), 0)  # [M, H]
    for i, (scale, origin) in enumerate(zip(block[1], block[2], strict=True)):
        for h in range(pool.shape[1]):
            known = pool[pool_origins + h + 1 <= origin, h]  # targets observed by `origin`
            widths[i, h] = scale * np.sort(known)[conformal_rank(len(known), level) - 1]
    return widths


def coverage(forecasts, widths, targets):
    """The share of targets inside `forecast -+ width`; `widths` `[H]` or
    per origin `[N, H]`."""
    e = np.abs(np.asarray(targets, "float64") - np.asarray(forecasts, "float64"))
    return float(np.mean(e <= np.asarray(widths)))


def calibration_set(server, series, prepared):
    """`(residuals [N, H], scales [N], origins [N])` of a trained run's
    network at every validation origin."""
    from pipeline.tasks.forecast.data import split_windows

    histories, targets, origins = split_windows(series, prepared, "validation", server.window,
                                                server.model.horizon)
    residuals = server(histories).numpy().astype("float64") - targets
    return residuals, window_scales(histories, scale_floor(prepared)), origins


def scale_floor(prepared):
    """`SCALE_FLOOR` in the series' units (its training standard deviation)."""
    return SCALE_FLOOR * prepared["normalizer"]["std"]
