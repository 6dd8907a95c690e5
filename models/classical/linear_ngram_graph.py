"""A fitted `LinearNGram` (TF-IDF n-grams and logistic regression) as
TensorFlow ops, for exports.

`LinearNGramGraph` computes what `LinearNGram.predict_proba` does with
scikit-learn, in the graph:

1. the n-grams of `TfidfVectorizer`: with `char_wb`, the character n-grams
   of each whitespace-separated word padded with one space on each side (a
   padded word shorter than the smallest n counts once, whole); with
   `word`, the word n-grams joined by a space;
2. their ids in the fitted vocabulary (a hash table; unknown n-grams are
   dropped), and per text and id the sublinear term frequency `1 + ln tf`
   times the IDF weight, the row scaled to unit L2 norm (Manning, Raghavan
   and Schuetze, "Introduction to Information Retrieval", 2008, section
   6.4.1);
3. the logistic regression's logits `x W^T + b` and their softmax (two
   classes: the sigmoid of the one logit, as scikit-learn computes it).

Texts are split on ASCII whitespace here and on any Unicode whitespace by
Python's `str.split`; the classify task's words hold none. Only string,
hash-table, segment and arithmetic ops: the tables stay on the host, so it
does not compile under XLA.
"""

import numpy as np
import tensorflow as tf

from models.classical.ngram_graph import static_table


class LinearNGramGraph(tf.Module):
    """`LinearNGram.predict_proba` of a fitted model, as TensorFlow ops.

    Args:
        model: a fitted `models.classical.linear_ngram.LinearNGram`.

    Call arguments:
        texts: string `[B]`, as the NumPy model reads them.

    Returns:
        float32 `[B, C]`, class probabilities, columns in `model.labels`
        order (0 for a class absent from the training texts).
    """

    def __init__(self, model):
        super().__init__()
        vectorizer, classifier = model.vectorizer, model.classifier
        self.analyzer = model.analyzer
        self.ngram_range = tuple(model.ngram_range)
        names = vectorizer.get_feature_names_out()
        self.features = len(names)
        self.vocabulary = static_table(tf.constant(names, tf.string),
                                       tf.range(len(names), dtype=tf.int64), -1)
        self.idf = tf.constant(vectorizer.idf_, tf.float32)  # [F]
        coef = np.asarray(classifier.coef_, "float32")  # [K, F], K = 1 for two classes
        self.kernel = tf.constant(coef.T)  # [F, K]
        self.bias = tf.constant(np.asarray(classifier.intercept_, "float32"))  # [K]
        # Column j of the output is class classifier.classes_[j] of `labels`.
        columns = np.zeros((len(classifier.classes_), len(model.labels)), "float32")
        columns[np.arange(len(classifier.classes_)), classifier.classes_] = 1.0
        self.columns = tf.constant(columns)  # [K', C]

    def ngrams(self, texts):
        """Ragged n-grams `[B, (g)]` of string texts `[B]`, as the fitted
        vectorizer's analyzer produces them (order aside)."""
        words = tf.strings.split(texts)  # [B, (w)]
        low, high = self.ngram_range
        if self.analyzer == "word":
            return tf.concat([tf.strings.ngrams(words, n, separator=" ")
                              for n in range(low, high + 1)], axis=1)
        padded = tf.ragged.map_flat_values(lambda w: " " + w + " ", words)  # [B, (w)]
        chars = tf.strings.unicode_split(padded, "UTF-8")  # [B, (w), (c)]
        grams = [tf.strings.ngrams(chars, n, separator="") for n in range(low, high + 1)]
        short = tf.ragged.boolean_mask(padded, tf.strings.length(padded, "UTF8_CHAR") < low)
        grams = tf.concat(grams, axis=2).merge_dims(1, 2)  # [B, (g)]
        return tf.concat([grams, short], axis=1)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, texts):
        grams = self.ngrams(texts)  # [B, (g)]
        rows = grams.value_rowids()  # [G]
        ids = self.vocabulary.lookup(grams.flat_values)  # [G], -1: not in the vocabulary
        known = ids >= 0
        keys, _, counts = tf.unique_with_counts(
            tf.boolean_mask(rows * self.features + ids, known))  # per (text, n-gram)
        row, feature = keys // self.features, keys % self.features  # [U]
        weight = (1.0 + tf.math.log(tf.cast(counts, tf.float32))) * tf.gather(self.idf, feature)
        batch = tf.shape(texts, out_type=tf.int64)[0]
        norm = tf.sqrt(tf.math.unsorted_segment_sum(weight * weight, row, batch))  # [B]
        weight = weight / tf.gather(tf.maximum(norm, 1e-30), row)
        logits = tf.math.unsorted_segment_sum(
            weight[:, None] * tf.gather(self.kernel, feature), row, batch) + self.bias  # [B, K]
        if logits.shape[-1] == 1:  # two classes: scikit-learn's sigmoid of one logit
            positive = tf.sigmoid(logits)
            probabilities = tf.concat([1.0 - positive, positive], axis=-1)
        else:
            probabilities = tf.nn.softmax(logits, axis=-1)
        return tf.matmul(probabilities, self.columns)  # [B, C]
