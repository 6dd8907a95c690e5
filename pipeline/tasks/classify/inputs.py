"""The classify task's tf.data pipeline: texts to padded character or word ids.

Training, the vocabulary, the naive Bayes baseline and the serving graph all
tokenise with `tokenize`, one TensorFlow function, so an export reads text
exactly as training did.
"""

import tensorflow as tf

from pipeline.data import text, transforms
from pipeline.data import vocab as vocab_lib

#: Token-count bucket edges: a batch is padded to its own bucket's longest text.
BOUNDARIES = (8, 16, 32, 64, 128, 256)


def tokenize(texts, unit):
    """Ragged tokens `[B, (n)]` of string texts `[B]`: lower-cased (Unicode
    aware; invalid UTF-8 bytes become U+FFFD) and cut into characters
    (`unit="char"`, spaces kept) or whitespace-separated words."""
    texts = text.lower(texts)
    if unit == "char":
        return tf.strings.unicode_split(texts, "UTF-8")
    return tf.strings.split(texts)


def token_lists(texts, unit, max_length, chunk=1024):
    """The tokens the network reads of each text (same tokeniser, same cut),
    as lists of strings, tokenised `chunk` texts at a time."""
    out = []
    for start in range(0, len(texts), chunk):
        ragged = tokenize(tf.constant(texts[start:start + chunk], tf.string),
                          unit)[:, :max_length]
        out.extend([t.decode("utf-8") for t in row] for row in ragged.to_list())
    return out


def build_vocabulary(texts, unit="char", max_tokens=20000, chunk=1024):
    """The `max_tokens` most frequent tokens of the training texts, read with
    `tokenize` in chunks of `chunk` texts."""
    texts = list(texts)
    counts = vocab_lib.count_tokens(
        (token.decode("utf-8") for token in tokenize(tf.constant(texts[i:i + chunk], tf.string),
                                                     unit).flat_values.numpy())
        for i in range(0, len(texts), chunk))
    return vocab_lib.build_vocabulary(counts)[:max_tokens]


def as_dataset(examples):
    """A `tf.data.Dataset` of `(text, label)` string pairs of a list of them."""
    texts, labels = zip(*examples, strict=True)
    return tf.data.Dataset.from_tensor_slices((list(texts), list(labels)))


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
        boundaries=BOUNDARIES,
        shuffle=training,
        seed=seed,
    )
    return transforms.finish(dataset)
