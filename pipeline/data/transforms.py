"""Small composable tf.data transforms shared by the task pipelines.

Each takes a dataset and keyword-only options and returns a dataset, so a
task pipeline reads as a chain (CONVENTIONS.md, flax lm1b input pipeline).
"""

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def shuffle_batch(dataset, *, batch_size, shuffle, seed, drop_remainder=False, buffer=10000):
    """Seeded shuffle (reshuffled each epoch) then fixed-size batches."""
    if shuffle:
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=drop_remainder,
                         num_parallel_calls=AUTOTUNE, deterministic=True)


def bucket_by_length(dataset, *, length_fn, batch_size, boundaries, shuffle, seed,
                     buffer=10000, drop_remainder=False):
    """Batches of similar length, each padded to its own longest element.

    `bucket_by_sequence_length` groups examples whose `length_fn` falls
    between the same `boundaries`, so little compute is spent on padding
    (every padded step still runs through the recurrence). Padding value is
    0, the id of the padding token.
    """
    if shuffle:
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    return dataset.bucket_by_sequence_length(
        element_length_func=length_fn,
        bucket_boundaries=list(boundaries),
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        drop_remainder=drop_remainder,
    )


def encode(dataset, fn, *, cache=True):
    """Parallel, deterministic map of `fn`, then (by default) an in-memory
    cache, so later epochs skip the tokenisation."""
    dataset = dataset.map(fn, num_parallel_calls=AUTOTUNE, deterministic=True)
    return dataset.cache() if cache else dataset


def finish(dataset):
    """Prefetch: the last link of every pipeline."""
    return dataset.prefetch(AUTOTUNE)
