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


#: The begin marker that left-pads a text before its n-grams are taken.
BEGIN = "\x02"


def ngram_ids(tokens, order, buckets):
    """Hashed ids `[..., n, order - 1]` of the n-grams (n = 2..`order`) of
    tokens `[..., n]` (dense 1-D or ragged `[B, (n)]`) that end at each
    token, the text left-padded with `BEGIN`; ids are 1..`buckets` (0 is
    padding). FastText's subword n-grams hashed into a fixed table
    (Bojanowski et al. 2017, "Enriching Word Vectors with Subword
    Information", section 3.2; Joulin et al. 2017, section 2.1), per
    position, so a recurrent encoder reads each character with the n-grams
    it closes."""
    ragged = isinstance(tokens, tf.RaggedTensor)
    grams = []
    for n in range(2, order + 1):
        if ragged:
            pad = tf.RaggedTensor.from_tensor(tf.fill([tokens.nrows(), n - 1], BEGIN))
            padded = tf.concat([pad, tokens], axis=1)  # [B, (n + n - 1)]
        else:
            padded = tf.concat([tf.fill([n - 1], BEGIN), tokens], axis=0)  # [n + n - 1]
        gram = tf.strings.ngrams(padded, n, separator="\x1f")  # [..., n]
        gram = tf.ragged.map_flat_values(tf.strings.to_hash_bucket_fast, gram, buckets) \
            if ragged else tf.strings.to_hash_bucket_fast(gram, buckets)
        grams.append(gram + 1)
    if ragged:
        return tokens.with_flat_values(tf.stack([g.flat_values for g in grams], axis=-1))
    return tf.stack(grams, axis=-1)  # [n, order - 1]


def encode_tokens(tokens, lookup, ngram_order=0, ngram_buckets=0):
    """The network's input of tokens `[..., n]` (dense 1-D or ragged): token
    ids `[..., n]` from `lookup`, or with `ngram_order` >= 2 the token id
    followed by its `ngram_ids`, `[..., n, ngram_order]`."""
    ids = lookup(tokens)
    if ngram_order < 2:
        return ids
    grams = ngram_ids(tokens, ngram_order, ngram_buckets)
    if isinstance(tokens, tf.RaggedTensor):
        return ids.with_flat_values(tf.concat([ids.flat_values[:, None], grams.flat_values], -1))
    return tf.concat([ids[:, None], grams], axis=-1)  # [n, ngram_order]


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
            training=False, seed=0, ngram_order=0, ngram_buckets=0):
    """`(token ids [B, S], label ids [B])` batches, padded with 0; with
    `ngram_order` >= 2, inputs `[B, S, ngram_order]` (`encode_tokens`).

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
        tokens = tokenize(text, unit)[:max_length]
        return (encode_tokens(tokens, token_ids, ngram_order, ngram_buckets),
                label_ids.lookup(label))

    dataset = transforms.encode(dataset, encode)
    dataset = transforms.bucket_by_length(
        dataset,
        length_fn=lambda ids, label: tf.shape(ids)[0],  # ids: [n] or [n, ngram_order]
        batch_size=batch_size,
        boundaries=BOUNDARIES,
        shuffle=training,
        seed=seed,
    )
    return transforms.finish(dataset)
