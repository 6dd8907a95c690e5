"""The LM task's input pipelines: contiguous batches for truncated BPTT.

The text of a split becomes one stream of character ids, cut into
`batch_size` equal contiguous streams; batch k holds the k-th window of
`sequence_length` characters of every stream. Row b of batch k+1 continues
row b of batch k, so a stateful model carries its state across batches and
backpropagates through `sequence_length` steps only (truncated BPTT: Hamid
Beigy, "Deep learning: Recurrent neural networks", slides 21-22). Targets
are the inputs shifted by one character (teacher forcing: Roger Grosse and
Jimmy Ba, "CSC421/2516 Lecture 13: Recurrent Neural Networks", slide 19).

The conditional word model (`conditional`) reads words instead (`word_batches`):
each word is one sequence between two newlines, "\\nword" in and
"word\\n" out, with the one-hot vector of its language as the condition.
"""

import keras
import numpy as np
import tensorflow as tf

from pipeline.data import transforms
from pipeline.data import vocab as vocab_lib


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
    # Rows in batch order ([K * B, L]) batched back into [B, L]: a batch op that
    # tf.distribute can split, replica r always getting the same rows.
    dataset = tf.data.Dataset.from_tensor_slices(
        (inputs.transpose(1, 0, 2).reshape(-1, sequence_length),
         targets.transpose(1, 0, 2).reshape(-1, sequence_length))
    ).batch(batch_size, drop_remainder=True)
    return transforms.finish(dataset)


#: The word delimiter of the conditional model: a word is "\\nword\\n".
WORD_BOUNDARY = "\n"


def build_word_vocabulary(words):
    """Characters of `words`, most frequent first, after the word boundary."""
    counts = vocab_lib.count_tokens(words)
    return vocab_lib.build_vocabulary(counts, reserved=(WORD_BOUNDARY,))


def word_batches(pairs, vocabulary, labels, *, batch_size, max_length, training=False,
                 seed=0):
    """`({"ids": [B, T], "condition": [B, C]}, targets [B, T])` batches of
    words, for the conditional language model.

    Args:
        pairs: list of `(word, label)`.
        vocabulary: from `build_word_vocabulary`.
        labels: the label names; the condition is the one-hot of the label.
        batch_size: words per batch.
        max_length: longest word kept whole, in characters (longer words are
            cut).
        training: shuffle (seeded) every epoch.
        seed: shuffle seed.

    Padding is id 0 in inputs and targets; the loss ignores it.
    """
    lookup = vocab_lib.lookup(vocabulary)
    label_ids = keras.layers.StringLookup(vocabulary=list(labels), num_oov_indices=0)
    depth = len(labels)
    words = [w for w, _ in pairs]
    dataset = tf.data.Dataset.from_tensor_slices((words, [label for _, label in pairs]))

    def encode(word, label):
        chars = tf.strings.unicode_split(word, "UTF-8", errors="replace")[:max_length]
        ids = lookup(tf.concat([[WORD_BOUNDARY], chars, [WORD_BOUNDARY]], 0))  # [S + 2]
        condition = tf.one_hot(label_ids(label), depth)  # [C]
        return {"ids": ids[:-1], "condition": condition}, ids[1:]

    dataset = transforms.encode(dataset, encode)
    if training:
        dataset = dataset.shuffle(len(words), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.padded_batch(batch_size)
    return transforms.finish(dataset)
