"""A fitted character n-gram model (`models.classical.ngram.CharNGram`) as
TensorFlow ops, for exports.

`CharNGramGraph` computes `CharNGram.probabilities` for windows of ids in
the graph: hash tables map each prefix to its rank (`CharNGram.codes`), each
n-gram code to its count, and each context to its total and numbers of
followers seen once, twice and three or more times; the interpolation runs
from order 1 to n as in the NumPy model (Chen and Goodman, "An Empirical
Study of Smoothing Techniques for Language Modeling", Harvard TR-10-98,
1998, eqs. (17)-(19) for modified Kneser-Ney). Only hash-table, gather and
arithmetic ops: a SavedModel holding it loads wherever TensorFlow does (the
tables stay on the host, so it does not compile under XLA).
"""

import numpy as np
import tensorflow as tf


def static_table(keys, values, default):
    """A `tf.lookup.StaticHashTable` from array-likes of keys and values."""
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, values), default)


class CharNGramGraph(tf.Module):
    """`CharNGram.probabilities` of a fitted model, as TensorFlow ops.

    Args:
        ngram: a fitted `CharNGram`.

    Call arguments:
        windows: int64 `[..., order]`, rows `[h_1 .. h_{n-1}, w]` of ids
            (0 in the history: no symbol there).

    Returns:
        float64 `[...]`, p(w | h).
    """

    def __init__(self, ngram):
        super().__init__()
        self.order, self.base = ngram.order, ngram.vocabulary_size
        self.method, self.discounts = ngram.method, ngram.discounts
        # The rank of each distinct j-gram, j < order (`CharNGram.codes`).
        self.ranks = [static_table(tf.constant(keys, tf.int64),
                                   tf.range(len(keys), dtype=tf.int64), -1)
                      for keys in ngram.prefixes[1:]]
        self.counts, self.contexts, self.context_stats = [], [], []
        for o in ngram.orders[1:]:
            self.counts.append(static_table(tf.constant(o.codes, tf.int64),
                                            tf.constant(o.counts, tf.int64), 0))
            self.contexts.append(static_table(tf.constant(o.contexts, tf.int64),
                                              tf.range(len(o.contexts), dtype=tf.int64),
                                              len(o.contexts)))
            stats = np.stack([o.total, o.n1, o.n2, o.n3], axis=1)  # [H, 4]
            self.context_stats.append(tf.constant(np.vstack([stats, np.zeros((1, 4))]),
                                                  tf.float64))  # row H: unseen

    def codes(self, grams):
        """`CharNGram.codes` of grams `[..., k]` (int64)."""
        rank = tf.zeros(tf.shape(grams)[:-1], tf.int64)
        for j in range(1, grams.shape[-1]):
            rank = self.ranks[j - 1].lookup(rank * self.base + grams[..., j - 1])
        return rank * self.base + grams[..., -1]

    def __call__(self, windows):
        n, base = self.order, self.base
        p = tf.fill(tf.shape(windows)[:-1], tf.constant(1.0 / (base - 1), tf.float64))
        available = tf.ones(tf.shape(windows)[:-1], tf.bool)
        for k in range(1, n + 1):
            gram = windows[..., n - k :]
            if k > 1:
                available &= gram[..., 0] > 0
            code = self.codes(gram)
            c = tf.cast(self.counts[k - 1].lookup(code), tf.float64)
            row = self.contexts[k - 1].lookup(code // base)
            stats = tf.gather(self.context_stats[k - 1], row)  # unseen: the zero row
            total, n1, n2, n3 = tf.unstack(stats, axis=-1)
            seen = available & (total > 0)
            denominator = tf.where(seen, total, tf.ones_like(total))
            if self.method == "kneser_ney":
                d1, d2, d3 = self.discounts[k]
                by_count = tf.constant([0.0, d1, d2, d3], tf.float64)  # counts 0, 1, 2, 3+
                discount = tf.gather(by_count, tf.cast(tf.minimum(c, 3.0), tf.int32))
                gamma = d1 * n1 + d2 * n2 + d3 * n3  # eq. (18): mass left for order k-1
                q = (tf.maximum(c - discount, 0.0) + gamma * p) / denominator
            else:
                followers = n1 + n2 + n3  # N1+(h .)
                q = (c + followers * p) / (denominator + followers)
            p = tf.where(seen, q, p)
        return p
