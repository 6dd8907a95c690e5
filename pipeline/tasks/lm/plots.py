"""The LM task's plots."""

import numpy as np

from pipeline.core import atomic


def plot_bits(curves, path):
    """Bits per character along the scored text, a running mean over 500
    characters, for each `(bits, name)` of `curves` (the model, the n-gram,
    and with dynamic evaluation their adapting versions)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = max(1, min(500, len(curves[0][0]) // 10))
    kernel = np.ones(width) / width
    fig, ax = plt.subplots(figsize=(8, 3 + 0.25 * len(curves)))
    for bits, name in curves:
        label = f"{name} (mean {bits.mean():.3f})"
        ax.plot(np.convolve(bits, kernel, mode="valid"), label=label, linewidth=0.8)
    ax.set_xlabel("character of the scored split")
    ax.set_ylabel(f"bits per character ({width}-char mean)")
    # below the axes: the curves fill the plot
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    fig.tight_layout()
    return atomic.save_figure(fig, path)
