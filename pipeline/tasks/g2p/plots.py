"""The G2P task's plots: where the attention looks."""

import os

import numpy as np
import tensorflow as tf

from pipeline.core import atomic
from pipeline.tasks.g2p import inputs


def plot_alignments(model, vocabularies, words, predictions, directory):
    """One PNG heatmap of the attention weights a word's predicted
    pronunciation gets (teacher-forced on the prediction), per word."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if model.attention_style == "none":
        return []
    os.makedirs(directory, exist_ok=True)
    encode = inputs.make_encoder(vocabularies)
    paths = []
    for word in words:
        pron = predictions[word] or inputs.END
        features, _ = encode(tf.constant(word), tf.constant(pron))
        batch = {k: v[None] for k, v in features.items()}
        _, weights = model.logits_and_alignments(batch)
        weights = np.asarray(weights[0], "float32")  # [T, S]
        rows = pron.split() + [inputs.END]
        fig, ax = plt.subplots(figsize=(0.5 * len(word) + 2, 0.4 * len(rows) + 1.5))
        ax.imshow(weights[: len(rows), : len(word)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(word)), list(word))
        ax.set_yticks(range(len(rows)), rows)
        ax.set_title(f"attention: {word}")
        fig.tight_layout()
        paths.append(atomic.save_figure(fig, os.path.join(directory, f"alignment_{word}.png")))
    return paths
