"""`Decoder`: the shared in-graph decoding loop, with one `get_next_token` hook.

The loop is a `tf.while_loop` with `maximum_iterations=max_length` over
fixed-shape loop variables, so the same code runs eagerly, inside
`tf.function`, inside an exported SavedModel, and under
`tf.function(jit_compile=True)` when `max_length` is a Python integer.
"""

import keras
import numpy as np
import tensorflow as tf

#: padding id written after a hypothesis ends; finished hypotheses extend
#: with it at no cost.
PAD_ID = 0


@keras.saving.register_keras_serializable(package="rnnlab")
class Decoder:
    """Base class of the in-graph decoders (the step-function contract, once).

    The model side is a step function

        ``logits, new_state = step_fn(ids, state, t)``

    - `ids`: int32 `[N]`, the previous token of each of the N hypotheses
      (the start ids at `t = 0`).
    - `state`: any nested structure of tensors, every leaf with leading
      dimension N. Its structure and shapes must not change between steps.
    - `t`: int32 scalar, the index of the step (0 for the first token).
    - `logits`: `[N, V]`, unnormalised; the decoder takes
      ``log_softmax`` of them in float32 (so float16 / bfloat16 logits are
      fine).

    Hypotheses that have already ended still go through `step_fn` (the loop
    has fixed shapes); their logits are ignored and their input id is
    meaningless (the end id or `PAD_ID`).

    The loop keeps ``K`` hypotheses per batch row (``K = 1`` for greedy
    decoding), ``N = B * K`` in batch-major order (row ``b * K + k``). At
    step t every hypothesis proposes its V one-token extensions, scored by
    the cumulative log-probability

        ``log P(y_1..y_t) = log P(y_1..y_{t-1}) + log softmax(logits)[y_t]``

    A hypothesis that has emitted `end_id` is finished: its only extension is
    `PAD_ID` at log-probability 0, so its score never changes. The subclass
    hook `get_next_token` picks, per batch row, which K of the ``K * V``
    candidates survive; the loop then reorders the nested `state`, the token
    history and the bookkeeping by the parent of each survivor. The loop
    stops after `max_length` steps or as soon as every hypothesis is finished.

    Outputs of the loop (shared by the subclasses):

    - ids `[B, K, L]` int32, ``L = max_length``: the emitted tokens,
      excluding the start id and excluding the end token; every position
      from the end token on is `PAD_ID`.
    - lengths `[B, K]` int32: the number of tokens before the end token, so
      ``ids[b, k, :lengths[b, k]]`` is the output. A hypothesis that never
      emits `end_id` has length `max_length`; a finished one at most
      ``max_length - 1``.
    - log-probabilities `[B, K]` float32: the summed log-probabilities of the
      emitted tokens, the end token included.

    Args:
        max_length: Positive integer, the number of decoding steps, which is
            the maximum number of tokens emitted (the end token included).
            A scalar int32 tensor also works inside `tf.function`, but then
            the output length is dynamic and XLA cannot compile the loop.
        end_id: Non-negative integer, the id that ends a hypothesis.

    References:
        Sutskever, Vinyals and Le (2014), "Sequence to sequence learning with
        neural networks", section 3.2 (left-to-right beam search decoding).
    """

    def __init__(self, max_length, end_id):
        if tf.is_tensor(max_length):
            if not max_length.dtype.is_integer or max_length.shape.rank not in (0, None):
                raise ValueError(
                    "`max_length` must be a positive integer or a scalar integer "
                    f"tensor. Received: max_length={max_length}"
                )
        elif not _is_int(max_length) or max_length < 1:
            raise ValueError(
                f"`max_length` must be a positive integer. Received: max_length={max_length}"
            )
        if not _is_int(end_id) or end_id < 0:
            raise ValueError(
                f"`end_id` must be a non-negative integer. Received: end_id={end_id}"
            )
        self.max_length = max_length if tf.is_tensor(max_length) else int(max_length)
        self.end_id = int(end_id)

    def get_next_token(self, log_probs, lengths):
        """The hook: chooses the K surviving candidates of every batch row.

        Args:
            log_probs: float32 `[B, K * V]`, the cumulative log-probability of
                candidate ``k * V + v`` (hypothesis k extended by token v);
                `-inf` for impossible candidates.
            lengths: int32 `[B, K * V]`, the number of scored tokens of each
                candidate (|Y|, the end token counted).

        Returns:
            int32 `[B, K]`, indices into the ``K * V`` candidates.
        """
        raise NotImplementedError

    def get_config(self):
        return {"max_length": self.max_length, "end_id": self.end_id}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _search(self, step_fn, initial_state, start_ids, beam_width):
        """Runs the loop with K = `beam_width` hypotheses per batch row.

        Returns:
            `(ids [B, K, L], log_probs [B, K], lengths [B, K], finished [B, K])`.
        """
        K = beam_width
        L = self.max_length
        start_ids = tf.cast(tf.convert_to_tensor(start_ids), tf.int32)  # [B]
        if start_ids.shape.rank != 1:
            raise ValueError(
                f"`start_ids` must have shape [batch]. Received: shape={start_ids.shape}"
            )
        B = start_ids.shape[0]
        if B is None:
            B = tf.shape(start_ids)[0]
        N = B * K

        if initial_state is None:  # `tf.while_loop` cannot carry None
            user_step_fn = step_fn

            def step_fn(ids, state, t):
                logits, _ = user_step_fn(ids, None, t)
                return logits, ()

            initial_state = ()

        def tile(x):  # [B, ...] -> [B * K, ...], row b * K + k
            return tf.repeat(x, K, axis=0) if K > 1 else x

        state = tf.nest.map_structure(lambda x: tile(tf.convert_to_tensor(x)), initial_state)
        ids = tile(start_ids)  # [N]
        # Only beam 0 of each row is live at first: the K copies of the start
        # state are identical, and with -inf on beams 1..K-1 the first top-K
        # picks K distinct tokens of beam 0 instead of K copies of one token.
        first = tf.constant([0.0] + [-np.inf] * (K - 1), tf.float32)  # [K]
        log_probs = tf.reshape(tf.tile(first[None, :], [B, 1]), [N])  # [N]
        tokens = tf.zeros([N, L], tf.int32)  # [N, L]
        finished = tf.zeros([N], tf.bool)
        lengths = tf.zeros([N], tf.int32)
        positions = tf.range(L)  # [L]
        batch_offsets = tf.range(B)[:, None] * K  # [B, 1]

        def cond(t, ids, state, tokens, log_probs, finished, lengths):
            return tf.logical_not(tf.reduce_all(finished))

        def body(t, ids, state, tokens, log_probs, finished, lengths):
            logits, state = step_fn(ids, state, t)
            step_log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)  # [N, V]
            V = step_log_probs.shape[-1]
            if V is None:
                V = tf.shape(step_log_probs)[-1]
            # A finished hypothesis extends only with PAD_ID, at no cost.
            pad_row = tf.where(tf.range(V) == PAD_ID, 0.0, -np.inf)  # [V]
            step_log_probs = tf.where(finished[:, None], pad_row[None, :], step_log_probs)
            candidates = tf.reshape(log_probs[:, None] + step_log_probs, [B, K * V])
            # |Y| of a candidate, the end token counted: an unfinished parent's
            # real tokens plus the new one, or a finished parent's real tokens
            # plus its end token. Either way `lengths + 1`.
            candidate_lengths = tf.reshape(
                tf.broadcast_to(lengths[:, None] + 1, [N, V]), [B, K * V]
            )

            index = tf.cast(self.get_next_token(candidates, candidate_lengths), tf.int32)  # [B, K]
            log_probs = tf.reshape(tf.gather(candidates, index, batch_dims=1), [N])
            token = tf.reshape(index % V, [N])  # [N]
            if K > 1:
                parent = tf.reshape(index // V + batch_offsets, [N])  # [N], rows of the parents

                def reorder(x):
                    return tf.gather(x, parent)

                state = tf.nest.map_structure(reorder, state)
                tokens, finished, lengths = reorder(tokens), reorder(finished), reorder(lengths)

            ends = tf.logical_and(~finished, tf.equal(token, self.end_id))  # [N]
            emits = tf.logical_and(~finished, ~ends)  # [N], a real token at step t
            write = tf.logical_and(tf.equal(positions, t)[None, :], emits[:, None])  # [N, L]
            tokens = tf.where(write, token[:, None], tokens)
            lengths = lengths + tf.cast(emits, tf.int32)
            finished = tf.logical_or(finished, ends)
            return t + 1, token, state, tokens, log_probs, finished, lengths

        _, _, _, tokens, log_probs, finished, lengths = tf.while_loop(
            cond,
            body,
            (tf.constant(0, tf.int32), ids, state, tokens, log_probs, finished, lengths),
            maximum_iterations=L,
        )
        return (
            tf.reshape(tokens, [B, K, L]),
            tf.reshape(log_probs, [B, K]),
            tf.reshape(lengths, [B, K]),
            tf.reshape(finished, [B, K]),
        )


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
