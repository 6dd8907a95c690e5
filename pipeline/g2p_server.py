"""`G2PServer`: words in, pronunciations out, in one TensorFlow graph.

The export of the G2P task (`pipeline.tasks.g2p`) serves it, and evaluate
and predict decode with it: preprocessing, the model (or an ensemble),
beam search, the rescoring by models reading in the other direction and the
learned reranker, all as graph ops (DESIGN section 5).
"""

import numpy as np
import tensorflow as tf

from pipeline.data import vocab as vocab_lib
from pipeline.inputs import g2p as g2p_inputs

#: the learned reranker's joint-sequence feature of a pair no graphone
#: segmentation covers (log p(X, Y) is -inf there)
JOINT_FLOOR = -100.0


class G2PServer(tf.Module):
    """Words in, pronunciations out: preprocessing, model and decoding in one
    graph, what the export serves (DESIGN section 5).

    Words are lower-cased and cut to `max_input_length` characters;
    characters outside the training vocabulary map to the out-of-vocabulary
    id. An empty word gets an empty pronunciation and score 0.

    Several models decode as an ensemble: every step scores the next phoneme
    by the mean of the models' log-probabilities, renormalised by the
    decoder, i.e. the normalised geometric mean of their distributions (a
    product of experts, Hinton 2002; ensembles of seq2seq models: Sutskever
    et al. 2014, Wu et al. 2016). One search runs over the combined scores,
    each model keeping its own state.

    Args:
        model: a trained `Seq2Seq`, or a list of them trained with the same
            vocabularies (an ensemble).
        vocabularies: `{"graphemes": [...], "phonemes": [...]}`.
        beam_width: 1 decodes greedily, more uses beam search.
        length_penalty: alpha of Wu et al. (2016) eq. (14).
        max_length: most phonemes emitted.
        max_input_length: longest word read, in characters.
        xla: pad every word to `max_input_length` characters, so the model
            and the decoding see static shapes, and compile them with XLA
            (`tf.function(jit_compile=True)`); the string handling around
            them stays outside XLA. The batch dimension stays dynamic.
        stress_marginal: choose each phoneme by the summed probability of
            its stress variants (`AH0`, `AH1`, `AH2` as one `AH`) and emit
            its most probable variant (`models.decoding.group_marginal`).
        reverse: the models emit the phonemes last to first
            (`g2p.direction=r2l`); the answers are turned back around.
        rerankers: `(model, reverse)` pairs, models (of either direction)
            that rescore the beam's hypotheses together with the searching
            models (`models.decoding.rerank`); needs `beam_width` > 1.
        rerank_weight: the rerankers' share w of the score (each of them
            w / their number, each searching model (1 - w) / theirs).
        propose: the rerankers that read in the other direction search too,
            as an ensemble of their own, and their n-best list joins the
            first one before the rescoring (2K hypotheses a word, a
            hypothesis both lists hold kept once): the joint n-best
            rescoring of Liu et al. (2016), section 3.
        learned: `(theta, joint)`, the learned reranker
            (`pipeline.g2p_reranker`): the candidates' features f are every
            model's log P(Y | X) and, with a `JointSequenceModel` `joint`,
            its log p(X, Y) (in the graph, `models.classical.joint_sequence_graph`;
            not under XLA); with weights `theta` (None while `evaluate`
            fits them) the answer is the candidate with the largest
            theta . f.
    """

    def __init__(self, model, vocabularies, beam_width=4, length_penalty=0.6, max_length=32,
                 max_input_length=48, xla=False, stress_marginal=False, reverse=False,
                 rerankers=(), rerank_weight=0.5, propose=False, learned=None):
        super().__init__()
        if rerankers and beam_width < 2:
            raise ValueError("`rerankers` need a beam search (beam_width > 1). "
                             f"Received: beam_width={beam_width}")
        from models.decoding import BeamSearchDecoder, GreedyDecoder
        from pipeline.g2p_scoring import strip_stress

        self.models = list(model) if isinstance(model, (list, tuple)) else [model]
        self.model = self.models[0]
        self.reverse = reverse
        self.rerank_models = [m for m, _ in rerankers]
        self.rerank_reverse = [r != reverse for _, r in rerankers]  # against the search's order
        self.rerank_weight = rerank_weight
        self.proposers = [m for m, r in zip(self.rerank_models, self.rerank_reverse, strict=True)
                          if r] if propose else []
        if propose and not self.proposers:
            raise ValueError("`propose` needs a reranker that reads in the other direction")
        self.length_penalty = length_penalty
        self.theta = self.joint = None
        if learned is not None:
            from models.classical.joint_sequence_graph import JointSequenceScorer

            theta, joint = learned
            self.theta = tf.constant(theta, tf.float64) if theta is not None else None
            self.joint = JointSequenceScorer(joint) if joint is not None else None
        self.max_input_length = max_input_length
        self.xla = xla
        self.decode_ids = tf.function(self._decode_ids, jit_compile=True, autograph=False) \
            if xla else self._decode_ids
        self.chars = vocab_lib.lookup(vocabularies["graphemes"])
        self.phones = vocab_lib.lookup(vocabularies["phonemes"])
        self.phone_names = vocab_lib.lookup(vocabularies["phonemes"], invert=True)
        self.chars(tf.constant([""]))  # build the lookups (export tracks built layers)
        self.phone_names(tf.constant([0], tf.int64))
        self.start_id = int(self.phones(g2p_inputs.START))
        self.end_id = end_id = int(self.phones(g2p_inputs.END))
        # Never emit padding, the out-of-vocabulary token or the start token.
        forbidden = np.zeros(len(vocabularies["phonemes"]) + 2, "float32")
        forbidden[[0, 1, self.start_id]] = -1e9
        self.forbidden = tf.constant(forbidden)
        # the class of every phoneme id; the reserved ids 0 and 1 are their own
        self.stress_classes = (["\0pad", "\0oov", *strip_stress(vocabularies["phonemes"])]
                               if stress_marginal else None)
        if beam_width == 1:
            self.decoder = GreedyDecoder(max_length=max_length, end_id=end_id)
        else:
            self.decoder = BeamSearchDecoder(beam_width, max_length=max_length, end_id=end_id,
                                             length_penalty=length_penalty)

    def encode_words(self, words):
        """`[B]` strings -> padded character ids `[B, S]` and lengths `[B]`;
        S is `max_input_length` with `xla`, else the longest word (at least 1)."""
        chars = g2p_inputs.graphemes(tf.strings.lower(words, encoding="utf-8"))
        chars = chars[:, : self.max_input_length]
        if self.xla:
            ids = self.chars(chars).to_tensor(shape=[None, self.max_input_length])  # [B, L]
        else:
            ids = self.chars(chars).to_tensor()  # [B, S]
            ids = tf.concat([ids, tf.zeros_like(ids[:, :1])], axis=1)  # S >= 1, empty batches
        return ids, chars.row_lengths()

    def step(self, ids, state, t):
        """The decoders' `step_fn`: the models' mean log-probabilities
        `[N, V]` (one model: its own), forbidden tokens masked, stress
        variants summed with `stress_marginal`, and the models' states (a
        tuple, one per model)."""
        return self.ensemble_step(self.models, ids, state, t)

    def ensemble_step(self, models, ids, state, t):
        """`step` for the given models (the proposing rerankers' search)."""
        outputs = [m.decoder_step(ids, s, t) for m, s in zip(models, state, strict=True)]
        log_probs = [tf.nn.log_softmax(tf.cast(logits, tf.float32)) for logits, _ in outputs]
        scores = tf.add_n(log_probs) / len(log_probs) + self.forbidden  # [N, V]
        if self.stress_classes is not None:
            from models.decoding import group_marginal

            scores = group_marginal(scores, self.stress_classes)
        return scores, tuple(s for _, s in outputs)

    def _decode_ids(self, ids):
        """Character ids `[B, S]` -> the best phoneme ids `[B, T]`, their
        scores `[B]` and lengths `[B]`."""
        hypotheses, scores, lengths = self.search(ids)
        return hypotheses[:, 0], scores[:, 0], lengths[:, 0]

    def search(self, ids):
        """Character ids `[B, S]` -> the hypotheses `[B, K, T]` in reading
        order, best first (K = 1 greedy, 2 * beam_width with `propose`),
        their scores `[B, K]` (float32) and lengths `[B, K]`; reranked when
        there are rerankers."""
        hypotheses, scores, lengths = self.search_with(ids, self.models)
        if len(hypotheses.shape) == 2:  # greedy: one hypothesis
            hypotheses, scores, lengths = hypotheses[:, None], scores[:, None], lengths[:, None]
        elif self.rerank_models:
            if self.proposers:
                hypotheses, scores, lengths = self.join_proposals(ids, hypotheses, scores,
                                                                  lengths)
            hypotheses, scores, lengths = self.rerank(ids, hypotheses, scores, lengths)
        if self.reverse:  # emitted last to first
            hypotheses = reverse_hypotheses(hypotheses, lengths)
        return hypotheses, tf.cast(scores, tf.float32), lengths

    def search_with(self, ids, models):
        """The decoder's search by the ensemble of `models` (one direction):
        `[B, K, T]` hypotheses (`[B, T]` greedy), scores and lengths."""
        state = tuple(m.initial_decoder_state(ids) for m in models)
        start = tf.fill(tf.shape(ids)[:1], self.start_id)
        return self.decoder(lambda *args: self.ensemble_step(models, *args), state, start)[:3]

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
        (`pipeline.g2p_reranker`): `(phonemes [B, K] string in reading
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
                separator=" ")  # without stress (g2p_scoring.strip_stress)
            joint = tf.maximum(self.joint(lower, plain), JOINT_FLOOR)
            features.append(tf.reshape(joint, [batch, width, 1]))
        valid = tf.math.is_finite(scores)
        features = tf.where(valid[..., None], tf.concat(features, axis=-1), 0.0)
        return (phonemes, features,
                tf.reshape(flat_lengths + tf.cast(ended, flat_lengths.dtype), [batch, width]),
                valid)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def nbest(self, words):
        """`(phonemes [B, K] string, score [B, K] float32)`: every
        hypothesis the search kept, best first (not part of the export)."""
        ids, _ = self.encode_words(words)
        hypotheses, scores, lengths = self.search(ids)
        mask = tf.sequence_mask(lengths, tf.shape(hypotheses)[2])
        tokens = tf.ragged.boolean_mask(self.phone_names(hypotheses), mask)
        return tf.strings.reduce_join(tokens, axis=-1, separator=" "), scores

    # autograph=False: nothing here branches on tensors (the decoders run their
    # own tf.while_loop), and autograph re-reads source files when it traces,
    # which breaks a long-running process whose files are being edited.
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def __call__(self, words):
        """`(phonemes [B] string, score [B] float32)` for words `[B]`."""
        ids, lengths = self.encode_words(words)
        if self.theta is not None:
            phonemes, score = self.learned_best(words)
        else:
            best, score, best_len = self.decode_ids(ids)
            mask = tf.sequence_mask(best_len, tf.shape(best)[1])
            tokens = tf.ragged.boolean_mask(self.phone_names(best), mask)
            phonemes = tf.strings.reduce_join(tokens, axis=1, separator=" ")
        empty = tf.equal(lengths, 0)
        phonemes = tf.where(empty, "", phonemes)
        score = tf.where(empty, 0.0, score)
        return phonemes, score

    def learned_best(self, words):
        """The candidate the learned reranker ranks first, `(phonemes [B],
        theta . f [B] float32)`, as `pipeline.g2p_reranker.rerank` ranks."""
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
