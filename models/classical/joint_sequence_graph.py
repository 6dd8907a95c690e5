"""A fitted joint-sequence model as TensorFlow ops, for the export.

`JointSequenceScorer` computes what `JointSequenceModel.log_prob` does
(models.classical.joint_sequence: the Viterbi segmentation under the unigram,
then the graphone n-gram's log-probability, Bisani and Ney 2008) for a
batch of (word, pronunciation) pairs, in the graph: hash tables hold the
unigram and the graphone ids, `models.classical.ngram_graph.CharNGramGraph`
the n-gram, a `tf.while_loop` runs the dynamic programme row by row and
another reads the segmentation back. It uses
only string, hash-table and arithmetic ops, so a SavedModel holding it
loads wherever TensorFlow does (it does not compile under XLA: the hash
tables stay on the host).
"""

import numpy as np
import tensorflow as tf

from models.classical.joint_sequence import BOUNDARY, OOV, SHAPES
from models.classical.ngram_graph import CharNGramGraph, static_table

#: the shapes in the order that breaks ties as the Python programme does:
#: the predecessor cell with the smaller (letters read, phonemes read) first
TIE_ORDER = sorted(SHAPES, key=lambda s: (-s[0], -s[1]))


class JointSequenceScorer(tf.Module):
    """`log p(X, Y)` `[N]` (float64; -inf where no segmentation exists) of
    words `[N]` (lower case) and pronunciations `[N]` (space-separated,
    without stress), as `JointSequenceModel.log_prob` gives them."""

    def __init__(self, model):
        super().__init__()
        keys = [f"{g}\t{p}" for g, p in model.unigram]
        self.unigram = static_table(tf.constant(keys, tf.string),
                                    tf.constant(list(model.unigram.values()), tf.float64),
                                    model.floor)
        self.ids = static_table(tf.constant([f"{g}\t{p}" for g, p in model.ids], tf.string),
                                tf.constant(list(model.ids.values()), tf.int64), OOV)
        self.ngram = CharNGramGraph(model.ngram)
        self.order = model.ngram.order

    def __call__(self, words, phonemes):
        chars = tf.strings.unicode_split(words, "UTF-8")
        n = chars.row_lengths()  # [N]
        tokens = tf.strings.split(phonemes)
        m = tokens.row_lengths()
        chars = chars.to_tensor("")  # [N, S]
        tokens = tokens.to_tensor("")  # [N, T]
        steps, width = tf.shape(chars)[1], tf.shape(tokens)[1] + 1  # S, T + 1
        chars = tf.pad(chars, [[0, 0], [0, 3]])
        tokens = tf.pad(tokens, [[0, 0], [0, 3]])
        i = tf.range(steps, dtype=tf.int64)[None, :, None]  # start cells (i, j)
        j = tf.range(width, dtype=tf.int64)[None, None, :]
        keys, log_probs = [], []  # per shape: [N, S, T + 1]
        for a, b in TIE_ORDER:
            letters = tf.strings.reduce_join(
                tf.stack([chars[:, d : d + steps] for d in range(a)], axis=-1), axis=-1)
            sounds = tf.strings.reduce_join(
                tf.stack([tokens[:, d : d + width] for d in range(b)], axis=-1), axis=-1,
                separator=" ") if b else tf.fill(tf.shape(tokens[:, :width]), "")  # [N, T + 1]
            key = tf.strings.join([letters[:, :, None] + tf.zeros_like(sounds[:, None, :]),
                                   sounds[:, None, :] + tf.zeros_like(letters[:, :, None])],
                                  separator="\t")  # [N, S, T + 1]
            fits = (i + a <= n[:, None, None]) & (j + b <= m[:, None, None])
            keys.append(key)
            log_probs.append(tf.where(fits, self.unigram.lookup(key), -np.inf))
        best, choice = self._viterbi(log_probs, steps, width)
        n_cells = tf.stack([n, m], axis=1)
        score = tf.gather_nd(best, tf.stack([tf.range(tf.shape(n)[0], dtype=tf.int64),
                                             n, m], axis=1))
        ids, lengths = self._read_back(keys, choice, n_cells, steps)
        return tf.where(tf.math.is_finite(score), self._ngram_log_prob(ids, lengths), -np.inf)

    def _viterbi(self, log_probs, steps, width):
        """best `[N, S + 1, T + 1]` (log p of the best segmentation of each
        prefix pair) and choice `[N, S + 1, T + 1]` (index into TIE_ORDER of
        its last graphone's shape), row by row over letters read."""
        batch = tf.shape(log_probs[0])[0]
        first = tf.concat([tf.zeros([batch, 1], tf.float64),
                           tf.fill([batch, width - 1], tf.constant(-np.inf, tf.float64))], 1)
        rows = tf.TensorArray(tf.float64, size=steps + 1, clear_after_read=False)
        rows = rows.write(0, first)
        choices = tf.TensorArray(tf.int32, size=steps + 1, clear_after_read=False)
        choices = choices.write(0, tf.zeros([batch, width], tf.int32))
        minus_inf = tf.fill([batch, width], tf.constant(-np.inf, tf.float64))

        def body(r, rows, choices):
            candidates = []
            for k, (a, b) in enumerate(TIE_ORDER):
                start = r - a
                if_valid = start >= 0
                prev = tf.cond(if_valid, lambda a=a: rows.read(tf.maximum(r - a, 0)),
                               lambda: minus_inf)
                step = tf.gather(log_probs[k], tf.maximum(start, 0), axis=1)  # [N, T + 1]
                total = prev + step  # arriving at (r, j + b)
                total = tf.concat([tf.fill([batch, b], tf.constant(-np.inf, tf.float64)),
                                   total], axis=1)[:, :width]
                candidates.append(tf.where(if_valid, total, minus_inf))
            stacked = tf.stack(candidates, axis=-1)  # [N, T + 1, shapes]
            value = tf.reduce_max(stacked, axis=-1)
            index = tf.range(len(TIE_ORDER), dtype=tf.int32)
            first_best = tf.reduce_min(tf.where(stacked == value[..., None], index,
                                                len(TIE_ORDER)), axis=-1)
            return r + 1, rows.write(r, value), choices.write(r, first_best)

        _, rows, choices = tf.while_loop(lambda r, *_: r <= steps, body,
                                         (tf.constant(1), rows, choices))
        return (tf.transpose(rows.stack(), [1, 0, 2]),
                tf.transpose(choices.stack(), [1, 0, 2]))

    def _read_back(self, keys, choice, cells, steps):
        """The graphone ids of each best segmentation, first to last, `[N,
        L]` padded, and their numbers `[N]`."""
        shape_a = tf.constant([a for a, _ in TIE_ORDER], tf.int64)
        shape_b = tf.constant([b for _, b in TIE_ORDER], tf.int64)
        keys = tf.stack(keys, axis=-1)  # [N, S, T + 1, shapes]
        batch = tf.shape(cells)[0]
        rows = tf.range(batch, dtype=tf.int64)
        out = tf.TensorArray(tf.int64, size=steps + 1)

        def body(t, at, out, count):
            active = at[:, 0] > 0
            k = tf.gather_nd(choice, tf.concat([rows[:, None], at], axis=1))
            a, b = tf.gather(shape_a, k), tf.gather(shape_b, k)
            start = tf.maximum(at - tf.stack([a, b], axis=1), 0)
            key = tf.gather_nd(keys, tf.concat([rows[:, None], start,
                                                tf.cast(k, tf.int64)[:, None]], axis=1))
            out = out.write(t, tf.where(active, self.ids.lookup(key), 0))
            return (t + 1, tf.where(active[:, None], start, at), out,
                    count + tf.cast(active, tf.int64))

        _, _, out, count = tf.while_loop(
            lambda t, *_: t <= steps, body,
            (tf.constant(0), cells, out, tf.zeros([batch], tf.int64)))
        backwards = tf.transpose(out.stack())  # [N, S + 1], last graphone first
        return tf.reverse_sequence(backwards, count, seq_axis=1, batch_axis=0), count

    def _ngram_log_prob(self, ids, lengths):
        """Sum of log p over `[BOUNDARY] ids [BOUNDARY]`, boundary to boundary."""
        batch = tf.shape(ids)[0]
        steps = tf.shape(ids)[1]
        positions = tf.range(steps, dtype=tf.int64)[None]
        ids = tf.where(positions < lengths[:, None], ids, 0)
        bounded = tf.concat([tf.fill([batch, 1], tf.constant(BOUNDARY, tf.int64)), ids,
                             tf.zeros([batch, 1], tf.int64)], axis=1)  # [N, L + 2]
        bounded = tf.tensor_scatter_nd_update(
            bounded, tf.stack([tf.range(batch, dtype=tf.int64), lengths + 1], axis=1),
            tf.fill([batch], tf.constant(BOUNDARY, tf.int64)))
        padded = tf.concat([tf.zeros([batch, self.order - 1], tf.int64), bounded], axis=1)
        # the window predicting bounded[t], t = 1 .. L + 1: padded[t : t + order]
        windows = tf.stack([padded[:, 1 + d : 1 + d + steps + 1] for d in range(self.order)],
                           axis=-1)  # [N, L + 1, order]
        log_p = tf.math.log(self.ngram(windows))
        scored = tf.range(steps + 1, dtype=tf.int64)[None] <= lengths[:, None]
        return tf.reduce_sum(tf.where(scored, log_p, tf.zeros_like(log_p)), axis=1)
