"""The rescoring side of `G2PServer` (`server`): the n-best list of the
search rescored by more models, of either direction (`rerank.runs`), the
other direction's proposals joined to it (`rerank.propose`), and the
learned reranker's candidates and features (`rerank.learned`, `reranker`),
all as graph ops.

References:
    Liu et al., "Agreement on target-bidirectional neural machine
    translation", NAACL 2016 (rescoring with both directions, section 3).
"""

import numpy as np
import tensorflow as tf

#: the learned reranker's joint-sequence feature of a pair no graphone
#: segmentation covers (log p(X, Y) is -inf there)
JOINT_FLOOR = -100.0


class Rescoring:
    """What `G2PServer` adds to its search to rescore it: a mixin over the
    server's `models`, `rerank_models`, `rerank_reverse`, `rerank_weight`,
    `proposers`, `theta`, `joint`, `search_with` and `encode_words`."""

    def join_proposals(self, ids, hypotheses, scores, lengths):
        """The search's `[B, K, T]` n-best list followed by the proposing
        rerankers' one, turned into the search's order: `[B, 2K, T]`, with
        the scores and lengths; a hypothesis already in the first list is
        scored -inf in the second, so that the rescoring puts it last."""
        others, other_scores, other_lengths = self.search_with(ids, self.proposers)
        others = reverse_hypotheses(others, other_lengths)
        other_scores = tf.where(contains(hypotheses, lengths, others, other_lengths),
                                float("-inf"), other_scores)
        return (tf.concat([hypotheses, others], axis=1), tf.concat([scores, other_scores], axis=1),
                tf.concat([lengths, other_lengths], axis=1))

    def rerank(self, ids, hypotheses, scores, lengths):
        """The beam's `[B, K, T]` hypotheses reordered by the searching
        models and the rerankers together (`models.decoding.rerank`): each
        model scores whole hypotheses (the forbidden tokens masked, as in
        the search), and the scores mix with the weights. For one searching
        model and `rerank_weight` 0 that is the search's own score; an
        ensemble's search renormalises the mean at every step instead."""
        from models.decoding import rerank

        own = (1.0 - self.rerank_weight) / len(self.models)
        other = self.rerank_weight / len(self.rerank_models)
        weights = [own] * len(self.models) + [other] * len(self.rerank_models)
        return rerank(hypotheses, lengths, scores, self.scorers(ids, hypotheses.shape[1]),
                      weights, self.length_penalty)

    def scorers(self, ids, width):
        """One function `(tokens [N, T], lengths [N], ended [N]) -> log P(Y | X)
        [N]` per model, the searching ones then the rerankers, for `width`
        hypotheses (in the search's order) per source row of `ids`; the
        forbidden tokens are masked, as in the search."""
        def scorer(model, reverse):
            def score(tokens, token_lengths, ended):  # [N, T], [N], [N] -> [N]
                if reverse:
                    tokens = tf.reverse_sequence(tokens, token_lengths, seq_axis=1, batch_axis=0)
                return model.sequence_log_probs(ids, tokens, token_lengths, self.start_id,
                                                self.end_id, ended, logit_bias=self.forbidden,
                                                repeats=width)
            return score

        return [scorer(m, False) for m in self.models] + [
            scorer(m, r) for m, r in zip(self.rerank_models, self.rerank_reverse, strict=True)]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def candidates(self, words):
        return self._candidates(words)

    def _candidates(self, words):
        """The search's hypotheses before any reranking (with `propose`, the
        2K of both searches) and the learned reranker's features of each
        (`pipeline.tasks.g2p.reranker`): `(phonemes [B, K] string in reading
        order, features [B, K, F] float64, lengths [B, K] int32 with the
        end token, valid [B, K])`. The features are every model's log P(Y |
        X) of the whole hypothesis, the searching models then the
        rerankers, and, with a joint model, its log p(X, Y) of the
        lower-case word and the pronunciation without stress, floored at
        `JOINT_FLOOR`; all 0 where `valid` is false (a proposal the first
        list already holds)."""
        ids, _ = self.encode_words(words)
        hypotheses, scores, lengths = self.search_with(ids, self.models)
        if self.proposers:
            hypotheses, scores, lengths = self.join_proposals(ids, hypotheses, scores, lengths)
        batch, width, steps = tf.unstack(tf.shape(hypotheses))
        flat = tf.reshape(hypotheses, [batch * width, steps])  # [N, T]
        flat_lengths = tf.reshape(lengths, [-1])  # [N]
        ended = flat_lengths < steps  # unfinished hypotheses have no end token
        log_probs = tf.stack([tf.cast(score(flat, flat_lengths, ended), tf.float32)
                              for score in self.scorers(ids, hypotheses.shape[1])], axis=-1)
        if self.reverse:  # emitted last to first
            hypotheses = reverse_hypotheses(hypotheses, lengths)
        mask = tf.sequence_mask(lengths, steps)
        tokens = tf.ragged.boolean_mask(self.phone_names(hypotheses), mask)
        phonemes = tf.strings.reduce_join(tokens, axis=-1, separator=" ").to_tensor()  # [B, K]
        features = [tf.reshape(tf.cast(log_probs, tf.float64), [batch, width, -1])]
        if self.joint is not None:
            lower = tf.repeat(tf.strings.lower(words, encoding="utf-8"), width)  # [B * K]
            tokens = tf.strings.split(tf.reshape(phonemes, [-1]))
            plain = tf.strings.reduce_join(tf.ragged.map_flat_values(
                tf.strings.regex_replace, tokens, "^([A-Za-z]+)[012]$", r"\1"), axis=-1,
                separator=" ")  # without stress (scoring.strip_stress)
            joint = tf.maximum(self.joint(lower, plain), JOINT_FLOOR)
            features.append(tf.reshape(joint, [batch, width, 1]))
        valid = tf.math.is_finite(scores)
        features = tf.where(valid[..., None], tf.concat(features, axis=-1), 0.0)
        return (phonemes, features,
                tf.reshape(flat_lengths + tf.cast(ended, flat_lengths.dtype), [batch, width]),
                valid)

    def learned_best(self, words):
        """The candidate the learned reranker ranks first, `(phonemes [B],
        theta . f [B] float32)`, as `reranker.rerank` ranks."""
        phonemes, features, _, valid = self._candidates(words)  # [B, K], [B, K, F]
        scores = tf.linalg.matvec(features, self.theta)  # [B, K]
        scores = tf.where(valid, scores, tf.constant(-np.inf, tf.float64))
        best = tf.argmax(scores, axis=1, output_type=tf.int32)
        return (tf.gather(phonemes, best, batch_dims=1),
                tf.cast(tf.gather(scores, best, batch_dims=1), tf.float32))


def reverse_hypotheses(hypotheses, lengths):
    """`[B, K, T]` hypotheses with their first `lengths [B, K]` tokens in
    the opposite order (the padding stays behind them)."""
    shape = tf.shape(hypotheses)
    flat = tf.reverse_sequence(tf.reshape(hypotheses, [-1, shape[2]]), tf.reshape(lengths, [-1]),
                               seq_axis=1, batch_axis=0)
    return tf.reshape(flat, shape)


def contains(hypotheses, lengths, others, other_lengths):
    """bool `[B, K2]`: whether each of `others [B, K2, T]` is one of the
    `hypotheses [B, K, T]` of its row (the same tokens and length)."""
    same = tf.reduce_all(hypotheses[:, None] == others[:, :, None], axis=-1)  # [B, K2, K]
    same &= lengths[:, None] == other_lengths[:, :, None]
    return tf.reduce_any(same, axis=-1)
