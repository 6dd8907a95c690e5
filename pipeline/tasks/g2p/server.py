"""`G2PServer`: words in, pronunciations out, in one TensorFlow graph.

The export of the G2P task (`export`) serves it, and evaluate
and predict decode with it: preprocessing, the model (or an ensemble),
beam search, the rescoring by models reading in the other direction and the
learned reranker, all as graph ops (docs/architecture.md section 5).
"""

import numpy as np
import tensorflow as tf

from pipeline.data import text
from pipeline.data import vocab as vocab_lib
from pipeline.tasks.g2p import inputs as g2p_inputs
from pipeline.tasks.g2p.rescoring import Rescoring, reverse_hypotheses
from pipeline.tasks.g2p.scoring import strip_stress

#: Requests of more words than this decode in chunks of this many words of
#: similar length (`G2PServer.in_length_chunks`).
LENGTH_CHUNK = 64


class G2PServer(Rescoring, tf.Module):
    """Words in, pronunciations out: preprocessing, model and decoding in one
    graph, what the export serves (docs/architecture.md section 5).

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
        xla_batch: batches of at most this many words (0: none) decode
            through an XLA-compiled copy of the search, their words padded
            to a multiple of 8 characters (so each batch size and width
            compiles once and is reused): on CPU a compiled step saves the
            per-op cost of the plain graph's loop, which dominates small
            batches, while oneDNN runs the large products of large batches
            faster than XLA's CPU backend (`python -m bench.g2p_serving`).
            Batches of more than `LENGTH_CHUNK` words decode in chunks of
            words of similar length (`in_length_chunks`).
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
            (`pipeline.tasks.g2p.reranker`): the candidates' features f are every
            model's log P(Y | X) and, with a `JointSequenceModel` `joint`,
            its log p(X, Y) (in the graph, `models.classical.joint_sequence_graph`;
            not under XLA); with weights `theta` (None while `evaluate`
            fits them) the answer is the candidate with the largest
            theta . f.
    """

    def __init__(self, model, vocabularies, beam_width=4, length_penalty=0.6, max_length=32,
                 max_input_length=48, xla=False, stress_marginal=False, reverse=False,
                 rerankers=(), rerank_weight=0.5, propose=False, learned=None, xla_batch=0):
        super().__init__()
        if rerankers and beam_width < 2:
            raise ValueError("`rerankers` need a beam search (beam_width > 1). "
                             f"Received: beam_width={beam_width}")
        from models.decoding import BeamSearchDecoder, GreedyDecoder

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
        self.decode_compiled = tf.function(self._decode_ids, jit_compile=True, autograph=False)
        self.xla_batch = 0 if xla else xla_batch
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
        chars = g2p_inputs.graphemes(text.lower(words))
        chars = chars[:, : self.max_input_length]
        if self.xla:
            ids = self.chars(chars).to_tensor(shape=[None, self.max_input_length])  # [B, L]
        else:
            ids = self.chars(chars).to_tensor()  # [B, S]
            ids = tf.concat([ids, tf.zeros_like(ids[:, :1])], axis=1)  # S >= 1, empty batches
        return ids, chars.row_lengths()

    def decode_any(self, ids):
        """`_decode_ids`, through its compiled copy with `xla`, or for
        batches of 1 to `xla_batch` words (their ids then padded to a
        multiple of 8 columns). A batch without a character runs the plain
        graph: XLA compiles both branches of the encoder's zero-step
        `tf.cond`, and the branch that reads step 0 cannot compile."""
        batch = tf.shape(ids)[0]
        compilable = (batch > 0) & tf.reduce_any(ids > 0)
        if self.xla:
            return tf.cond(compilable, lambda: self.decode_compiled(ids),
                           lambda: self._decode_ids(ids))

        def plain():
            return tf.cond(batch > LENGTH_CHUNK, lambda: self.in_length_chunks(ids),
                           lambda: self._decode_ids(ids))

        if not self.xla_batch:
            return plain()

        def compiled():
            width = (tf.shape(ids)[1] + 7) // 8 * 8
            return self.decode_compiled(tf.pad(ids, [[0, 0], [0, width - tf.shape(ids)[1]]]))

        return tf.cond(compilable & (batch <= self.xla_batch), compiled, plain)

    def in_length_chunks(self, ids):
        """`_decode_ids` of the words sorted by length, `LENGTH_CHUNK` at a
        time, each chunk cut to its longest word, the answers put back in
        the request's order (ids padded to `max_length` columns).

        The encoder's work grows with the batch's longest word and the
        search's steps with its longest answer, so a request of mixed
        lengths padded to its longest word spends much of its time on
        padding; in chunks of similar length the padding mostly goes (the
        bucketing of Sutskever et al. 2014, section 3.3, at serving time).
        """
        lengths = tf.reduce_sum(tf.cast(ids > 0, tf.int32), axis=1)  # [B]
        order = tf.argsort(lengths, stable=True)
        ids, lengths = tf.gather(ids, order), tf.gather(lengths, order)
        batch = tf.shape(ids)[0]
        width = self.decoder.max_length
        answers = [tf.TensorArray(dtype, size=0, dynamic_size=True, infer_shape=False)
                   for dtype in (tf.int32, tf.float32, tf.int32)]

        def body(start, index, answers):
            stop = tf.minimum(start + LENGTH_CHUNK, batch)
            columns = tf.maximum(tf.reduce_max(lengths[start:stop]), 1)
            best, score, length = self._decode_ids(ids[start:stop, :columns])
            best = tf.pad(best, [[0, 0], [0, width - tf.shape(best)[1]]])  # [C, max_length]
            return stop, index + 1, [array.write(index, value) for array, value
                                     in zip(answers, (best, score, length), strict=True)]

        _, _, answers = tf.while_loop(lambda start, index, answers: start < batch, body,
                                      (tf.constant(0), tf.constant(0), answers))
        inverse = tf.math.invert_permutation(order)
        best, score, length = (tf.gather(array.concat(), inverse) for array in answers)
        return (tf.ensure_shape(best, [None, width]), tf.ensure_shape(score, [None]),
                tf.ensure_shape(length, [None]))

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
            best, score, best_len = self.decode_any(ids)
            mask = tf.sequence_mask(best_len, tf.shape(best)[1])
            tokens = tf.ragged.boolean_mask(self.phone_names(best), mask)
            phonemes = tf.strings.reduce_join(tokens, axis=1, separator=" ")
        empty = tf.equal(lengths, 0)
        phonemes = tf.where(empty, "", phonemes)
        score = tf.where(empty, 0.0, score)
        return phonemes, score
