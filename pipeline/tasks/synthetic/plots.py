"""The synthetic task's plots."""

import numpy as np

from pipeline.core import atomic


def plot_accuracy_by_step(results, path, title):
    """A PNG of the per-step test accuracy of each `{label: score dict}`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for label, result in results.items():
        by_step = result["accuracy_by_step"]
        ax.plot(np.arange(1, len(by_step) + 1), by_step, marker=".", label=label)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("step t")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return atomic.save_figure(fig, path)
