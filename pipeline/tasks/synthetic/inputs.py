"""Synthetic-task pipeline: the `synthetic` builder's examples as batches."""

from pipeline.data import transforms


def batches(dataset, *, batch_size=64, training=False, seed=0):
    """`(inputs, targets)` batches of a `synthetic` split (fixed length, so no
    padding): adding `[B, T, 2] -> [B, 1]`, copy and parity `[B, T] -> [B, T]`."""
    dataset = dataset.map(lambda ex: (ex["inputs"], ex["targets"])).cache()
    dataset = transforms.shuffle_batch(dataset, batch_size=batch_size, shuffle=training,
                                       seed=seed, drop_remainder=training)
    return transforms.finish(dataset)
