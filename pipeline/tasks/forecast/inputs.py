"""The forecast task's input pipeline: sliding windows of the series and the
normaliser fitted on the training split."""

import numpy as np
import tensorflow as tf
from numpy.lib.stride_tricks import sliding_window_view

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
    ever seen in a window of an earlier split's targets. The windows are
    read-only views of one float32 copy of the series
    (`numpy.lib.stride_tricks.sliding_window_view`), so a long series costs
    its own size, not `history + horizon` times it.

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
    views = sliding_window_view(series, history)  # [len - history + 1, history]
    histories = views[first - history : last - history + 1]  # window o reads [o - history, o)
    targets = sliding_window_view(series, horizon)[first : last + 1]  # [o, o + horizon)
    return histories, targets


def batches(histories, targets, *, batch_size=32, training=False, seed=0):
    """`(history [B, W, 1], targets [B, H])` batches.

    The dataset holds the windows' indices and gathers each batch from the
    arrays (`tf.numpy_function`), so the windows are never copied whole
    into the pipeline: memory stays that of the arrays whatever their
    length."""
    count, window = histories.shape
    horizon = targets.shape[1]

    def gather(indices):
        return histories[indices][..., None], np.asarray(targets[indices])

    def load(indices):
        inputs, outputs = tf.numpy_function(gather, [indices], (tf.float32, tf.float32))
        return tf.ensure_shape(inputs, [None, window, 1]), tf.ensure_shape(outputs,
                                                                           [None, horizon])

    dataset = tf.data.Dataset.range(count)
    dataset = transforms.shuffle_batch(dataset, batch_size=batch_size, shuffle=training,
                                       seed=seed)
    return transforms.finish(dataset.map(load, num_parallel_calls=transforms.AUTOTUNE,
                                         deterministic=True))
