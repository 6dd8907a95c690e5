"""The forecast task's input pipeline: sliding windows of the series and the
normaliser fitted on the training split."""

import numpy as np
import tensorflow as tf

from pipeline.data import transforms


def fit_normalizer(train_values):
    """`(mean, std)` of the training segment only (no look at the future)."""
    values = np.asarray(train_values, "float64")
    std = values.std()
    return float(values.mean()), float(std if std > 0 else 1.0)


def windows(series, start, stop, *, history, horizon):
    """Direct multi-step windows whose targets start in `[start, stop)`.

    The history of a window may reach back before `start` (into earlier
    splits): the model sees the past as it would in use, and no target is
    ever seen in a window of an earlier split's targets.

    Returns:
        `(histories [N, history], targets [N, horizon])` float32.
    """
    series = np.asarray(series, "float32")
    first = max(start, history)
    last = stop - horizon
    if last < first:
        raise ValueError(
            f"the split [{start}, {stop}) is too short for history {history} and "
            f"horizon {horizon}"
        )
    origins = np.arange(first, last + 1)
    histories = np.stack([series[o - history : o] for o in origins])
    targets = np.stack([series[o : o + horizon] for o in origins])
    return histories, targets


def batches(histories, targets, *, batch_size=32, training=False, seed=0):
    """`(history [B, W, 1], targets [B, H])` batches."""
    dataset = tf.data.Dataset.from_tensor_slices((histories[..., None], targets))
    dataset = dataset.cache()
    dataset = transforms.shuffle_batch(dataset, batch_size=batch_size, shuffle=training,
                                       seed=seed)
    return transforms.finish(dataset)
