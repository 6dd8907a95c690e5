"""A fitted `NGramLMClassifier` (a character n-gram model per class and
Bayes' rule) as TensorFlow ops, for exports.

`NGramLMClassifierGraph` computes `NGramLMClassifier.predict_proba` in the
graph: a hash table maps characters to the model's ids (unknown ones to the
out-of-vocabulary id), each text is read from n-1 boundary symbols to one
end boundary, every class's `models.classical.ngram_graph.CharNGramGraph`
gives the probability of each symbol after its n-1 predecessors, and

    log p(c | x) = log p(c) + sum_t log p_c(x_t | x_{t-n+1} .. x_{t-1}) - log Z(x)

(Dunning, "Statistical Identification of Language", NMSU MCCS-94-273, 1994).
"""

import numpy as np
import tensorflow as tf

from models.classical.ngram_graph import CharNGramGraph, static_table
from models.classical.ngram_lm_classifier import BOUNDARY, OUT_OF_VOCABULARY


class NGramLMClassifierGraph(tf.Module):
    """`NGramLMClassifier.predict_proba` of a fitted model, as TensorFlow ops.

    Args:
        model: a fitted `models.classical.ngram_lm_classifier.NGramLMClassifier`.

    Call arguments:
        chars: string `[B, (n)]` (ragged), each text's characters.

    Returns:
        float32 `[B, C]`, class posteriors, columns in `model.labels` order.
    """

    def __init__(self, model):
        super().__init__()
        self.order = model.order
        characters = sorted(model.characters, key=model.characters.get)
        self.characters = static_table(
            tf.constant(characters, tf.string),
            tf.constant([model.characters[ch] for ch in characters], tf.int64),
            OUT_OF_VOCABULARY)
        self.models = [None if m is None else CharNGramGraph(m) for m in model.models]
        self.log2_prior = tf.constant(model.log2_prior, tf.float64)  # [C]

    def log2_likelihoods(self, chars):
        """float64 `[B, C]`, log2 p(text | class), end boundary included."""
        ids = self.characters.lookup(chars)  # [B, (n)]
        lengths = ids.row_lengths()  # [B]
        ids = ids.to_tensor(0)  # [B, L]
        batch, steps = tf.shape(ids, out_type=tf.int64)[0], tf.shape(ids, out_type=tf.int64)[1]
        # [B, n - 1 + L + 1]: the boundaries, the text, its end boundary, 0s after.
        padded = tf.concat([tf.fill([batch, self.order - 1], tf.constant(BOUNDARY, tf.int64)),
                            ids, tf.zeros([batch, 1], tf.int64)], axis=1)
        end = tf.stack([tf.range(batch), lengths + self.order - 1], axis=1)
        padded = tf.tensor_scatter_nd_update(padded, end,
                                             tf.fill([batch], tf.constant(BOUNDARY, tf.int64)))
        # The window predicting symbol t = 0 .. L of the text and its end:
        # padded[t : t + order].
        windows = tf.stack([padded[:, d : d + steps + 1] for d in range(self.order)],
                           axis=-1)  # [B, L + 1, order]
        scored = tf.range(steps + 1)[None] <= lengths[:, None]  # [B, L + 1]
        out = []
        for model in self.models:
            if model is None:
                out.append(tf.fill([batch], tf.constant(-np.inf, tf.float64)))
                continue
            log2_p = tf.math.log(model(windows)) / np.log(2.0)  # [B, L + 1]
            out.append(tf.reduce_sum(tf.where(scored, log2_p, tf.zeros_like(log2_p)), axis=1))
        return tf.stack(out, axis=1)  # [B, C]

    def __call__(self, chars):
        scores = self.log2_likelihoods(chars) + self.log2_prior  # [B, C]
        scores -= tf.reduce_max(scores, axis=1, keepdims=True)
        p = tf.pow(tf.constant(2.0, tf.float64), scores)
        return tf.cast(p / tf.reduce_sum(p, axis=1, keepdims=True), tf.float32)
