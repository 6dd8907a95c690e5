"""The forecast task's plots: the forecasts with their intervals against the
truth, and the pooled error by step ahead of every method."""

import numpy as np

from pipeline.core import atomic


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_forecasts(series, origins, predicted, widths, peers, metrics, path, every=None):
    """The end of the series with the model's forecasts and conformal
    intervals (`widths [N, H]`, one row per origin) from every `every`-th
    origin of the block (default: about six forecasts), and the best peer's
    (lowest pooled MASE) dashed."""
    plt = pyplot()
    horizon = predicted.shape[1]
    every = every or max(1, len(origins) // 6)
    first = max(0, int(origins[0]) - 3 * metrics["window"])
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(np.arange(first, len(series)), series[first:], color="black", lw=1.5,
            label="truth")
    best = min(metrics["peers"], key=lambda name: metrics["peers"][name]["mase"], default=None)
    for i in range(0, len(origins), every):
        span = np.arange(origins[i], origins[i] + horizon)
        first_one = i == 0
        ax.plot(span, predicted[i], color="tab:blue", lw=1,
                label="network" if first_one else None)
        ax.fill_between(span, predicted[i] - widths[i], predicted[i] + widths[i], color="tab:blue",
                        alpha=0.15, label=f"{metrics['interval_level']:.0%} interval"
                        if first_one else None)
        if best:
            ax.plot(span, peers[best][i], color="tab:orange", lw=1, ls="--",
                    label=best if first_one else None)
    ax.axvline(origins[0], color="grey", ls=":", lw=1)
    ax.set_title(f"{metrics['series']}: {horizon}-step forecasts from every {every}th "
                 f"{metrics['split']} origin (coverage {metrics['coverage']:.2f})")
    ax.set_xlabel("step")
    ax.legend()
    fig.tight_layout()
    return atomic.save_figure(fig, path)


def plot_error_by_step(metrics, path):
    """MASE by step ahead, pooled over the origins, of the model and every
    peer."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    k = np.arange(1, metrics["horizon"] + 1)
    ax.plot(k, metrics["mase_by_step"], marker="o", lw=2, label="network")
    for name, peer in metrics["peers"].items():
        ax.plot(k, peer["mase_by_step"], marker=".", ls="--", label=name)
    ax.set_xlabel("steps ahead")
    ax.set_ylabel("MASE")
    ax.set_title(f"{metrics['series']}: pooled MASE by step, {metrics['windows']} "
                 f"{metrics['split']} origins")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return atomic.save_figure(fig, path)
