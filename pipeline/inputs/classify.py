"""Classification pipeline: texts to padded character or word ids."""

import tensorflow as tf

from pipeline import vocab as vocab_lib
from pipeline.inputs import transforms


def tokenize(texts, unit):
    """Ragged tokens: characters (`unit="char"`) or lower-cased words."""
    if unit == "char":
        return tf.strings.unicode_split(texts, "UTF-8")
    return tf.strings.split(tf.strings.lower(texts))


def build_vocabulary(texts, unit="char", max_tokens=20000):
    """The `max_tokens` most frequent tokens of the training texts."""
    pieces = list(texts) if unit == "char" else [t.lower().split() for t in texts]
    return vocab_lib.build_vocabulary(vocab_lib.count_tokens(pieces))[:max_tokens]


def batches(dataset, vocabulary, labels, *, unit="char", batch_size=64, max_length=400,
            training=False, seed=0):
    """`(token ids [B, S], label ids [B])` batches, padded with 0.

    Args:
        dataset: `(text, label)` string pairs of one split.
        vocabulary: token list or vocabulary file.
        labels: the class names, in label-id order.
        unit: `"char"` or `"word"`.
        max_length: texts are cut to this many tokens.
    """
    token_ids = vocab_lib.lookup(vocabulary)
    label_ids = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(list(labels), tf.range(len(labels), dtype=tf.int64)),
        default_value=-1,
    )

    def encode(text, label):
        return token_ids(tokenize(text, unit)[:max_length]), label_ids.lookup(label)

    dataset = transforms.encode(dataset, encode)
    dataset = transforms.bucket_by_length(
        dataset,
        length_fn=lambda ids, label: tf.shape(ids)[0],
        batch_size=batch_size,
        boundaries=(8, 16, 32, 64, 128, 256),
        shuffle=training,
        seed=seed,
    )
    return transforms.finish(dataset)
