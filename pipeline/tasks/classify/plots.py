"""The classify task's plots: the confusion matrix and the attention
pooling's weights."""

import numpy as np
import tensorflow as tf

from pipeline.core import atomic
from pipeline.tasks.classify.inputs import token_lists


def plot_confusion(confusion, labels, path, title=""):
    """Confusion matrix PNG: rows true, columns predicted, colour the share
    of the row (recall), the counts written in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    share = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
    size = 1.5 + 0.55 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 20:
        for (i, j), count in np.ndenumerate(confusion):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if share[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return atomic.save_figure(fig, path)


def plot_attention(server, texts, truth, path, max_tokens=40):
    """One row per text: the attention-pooling weight of each of its first
    `max_tokens` tokens, labelled `predicted (true)`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not texts:
        return None
    ids = server.encode(tf.constant(texts))
    logits, weights = server.model.logits_and_weights(ids)
    weights = np.asarray(weights, "float32")[:, :max_tokens]  # [N, S]
    names = server.labels.numpy()[np.asarray(logits).argmax(1)]
    tokens = token_lists(texts, server.unit, max_tokens)
    width = max(len(t) for t in tokens) or 1
    fig, ax = plt.subplots(figsize=(2 + 0.35 * width, 0.6 + 0.45 * len(texts)))
    ax.imshow(weights[:, :width], cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for row, toks in enumerate(tokens):
        for col, tok in enumerate(toks):
            ax.text(col, row, tok if len(tok) <= 3 else tok[:3] + ".", ha="center",
                    va="center", fontsize=7, color="white")
    ax.set_yticks(range(len(texts)), [f"{n.decode()} ({t})" for n, t in
                                      zip(names, truth, strict=True)])
    ax.set_xticks([])
    ax.set_title("attention pooling weights; predicted (true) class at left", fontsize=9)
    fig.tight_layout()
    return atomic.save_figure(fig, path)
