"""The forecast task's plot: the forecasts against the truth."""

import numpy as np

from pipeline.core import atomic


def plot_forecasts(series, origins, predicted, baseline, metrics, path):
    """Two panels: the end of the series with the model's and the baseline's
    forecast from every test origin; the RMSE of each forecast step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    horizon = predicted.shape[1]
    first = max(0, int(origins[0]) - 3 * metrics["window"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), height_ratios=(2, 1))
    steps = np.arange(first, len(series))
    top.plot(steps, series[first:], color="black", lw=1.5, label="truth")
    for i, o in enumerate(origins):
        span = np.arange(o, o + horizon)
        top.plot(span, predicted[i], color="tab:blue", lw=1, alpha=0.7,
                 label="model" if i == 0 else None)
        top.plot(span, baseline[i], color="tab:orange", lw=1, alpha=0.7, ls="--",
                 label="ARIMA baseline" if i == 0 else None)
    top.axvline(origins[0], color="grey", ls=":", lw=1)
    top.set_title(f"{metrics['series']}: {horizon}-step forecasts from each "
                  f"{metrics['split']} origin (RMSE ratio to baseline "
                  f"{metrics['rmse_ratio']:.3f})")
    top.set_xlabel("step")
    top.legend()
    k = np.arange(1, horizon + 1)
    bottom.plot(k, metrics["rmse_by_step"], marker="o", label="model")
    bottom.plot(k, metrics["baseline_rmse_by_step"], marker="o", ls="--",
                label=metrics["baseline"]["model"])
    bottom.set_xticks(k)
    bottom.set_xlabel("steps ahead")
    bottom.set_ylabel("RMSE")
    bottom.legend()
    fig.tight_layout()
    return atomic.save_figure(fig, path)
