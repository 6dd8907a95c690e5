"""Rolling-origin error measures: per origin and pooled RMSE, MAE and MASE.

MASE (Hyndman and Koehler, "Another look at measures of forecast
accuracy", International Journal of Forecasting 22(4), 2006; the M4
competition's scale, Makridakis, Spiliotis and Assimakopoulos, "The M4
Competition: 100,000 time series and 61 forecasting methods", IJF 36(1),
2020) divides the absolute errors of a forecast from origin `o` by the
in-sample mean absolute error of the seasonal naive forecast on the history
before `o`:

    scale_o = mean_{m <= t < o} |y_t - y_{t-m}|,   MASE_o = mean_h |e_{o,h}| / scale_o

(`m` the season length, 1 for none). Pooled MASE is the mean over origins;
pooled RMSE and MAE run over every forecast value of every origin.
"""

import numpy as np


def naive_scale(history, season=1):
    """The in-sample mean absolute error of the seasonal naive forecast
    (lag `season`, 1 when the history is not longer than a season)."""
    history = np.asarray(history, "float64")
    m = season if len(history) > season else 1
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    return scale if scale > 0 else 1.0


def origin_scales(series, origins, season=1):
    """`[N]` MASE scales of the histories before each origin."""
    return np.array([naive_scale(series[:o], season) for o in origins])


def scores(forecasts, targets, scales):
    """Pooled and per-origin errors of `[N, H]` forecasts of `[N, H]`
    targets with `[N]` MASE scales."""
    e = np.asarray(forecasts, "float64") - np.asarray(targets, "float64")  # [N, H]
    scaled = np.abs(e) / np.asarray(scales, "float64")[:, None]  # [N, H]
    return {"rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e))),
            "mase": float(np.mean(scaled)),
            "rmse_by_step": np.sqrt(np.mean(e**2, axis=0)).round(4).tolist(),
            "mase_by_step": np.mean(scaled, axis=0).round(4).tolist(),
            "per_origin": {"rmse": np.sqrt(np.mean(e**2, axis=1)).round(4).tolist(),
                           "mae": np.mean(np.abs(e), axis=1).round(4).tolist(),
                           "mase": np.mean(scaled, axis=1).round(4).tolist()}}


def ratios(method, peers):
    """`{peer: {"rmse": r, "mase": r}}`: `method`'s pooled errors over each
    peer's (below 1 the method wins)."""
    return {name: {key: method[key] / peer[key] for key in ("rmse", "mae", "mase")}
            for name, peer in peers.items()}
