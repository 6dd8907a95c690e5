"""Character language-model pipeline: contiguous batches for truncated BPTT.

The text of a split becomes one stream of character ids, cut into
`batch_size` equal contiguous streams; batch k holds the k-th window of
`sequence_length` characters of every stream. Row b of batch k+1 continues
row b of batch k, so a stateful model carries its state across batches and
backpropagates through `sequence_length` steps only (truncated BPTT, seed
003 slides 21-22). Targets are the inputs shifted by one character (teacher
forcing, seed 002 slide 19).
"""

import numpy as np
import tensorflow as tf

from pipeline import vocab as vocab_lib
from pipeline.inputs import transforms


def build_vocabulary(text):
    """Characters of the training text, most frequent first."""
    return vocab_lib.build_vocabulary(vocab_lib.count_tokens([text]))


def encode_text(text, vocabulary):
    """Character ids of `text` (unknown characters map to the OOV id 1)."""
    lookup = vocab_lib.lookup(vocabulary)
    return lookup(tf.strings.unicode_split(text, "UTF-8")).numpy()


def contiguous_batches(ids, *, batch_size, sequence_length):
    """`(inputs [B, L], targets [B, L])` batches in stream order.

    Args:
        ids: 1-D integer array, the whole split.
        batch_size: number of parallel streams B.
        sequence_length: BPTT window L.

    Raises:
        ValueError: when the text is too short for one batch.
    """
    ids = np.asarray(ids)
    per_stream = len(ids) // batch_size
    count = (per_stream - 1) // sequence_length
    if count < 1:
        raise ValueError(
            f"{len(ids)} characters are too few for one batch of {batch_size} streams "
            f"x {sequence_length + 1} characters"
        )
    streams = ids[: batch_size * per_stream].reshape(batch_size, per_stream)  # [B, N]
    span = count * sequence_length
    inputs = streams[:, :span].reshape(batch_size, count, sequence_length)  # [B, K, L]
    targets = streams[:, 1 : span + 1].reshape(batch_size, count, sequence_length)
    dataset = tf.data.Dataset.from_tensor_slices(
        (inputs.transpose(1, 0, 2), targets.transpose(1, 0, 2))  # [K, B, L]
    )
    return transforms.finish(dataset)
