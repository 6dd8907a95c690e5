"""`GreedyDecoder`: the most probable token at every step."""

import keras
import tensorflow as tf

from models.decoding.decoder import Decoder


@keras.saving.register_keras_serializable(package="rnnlab")
class GreedyDecoder(Decoder):
    """Greedy decoding: ``y_t = argmax_v log P(v | y_<t, x)`` at every step.

    One hypothesis per batch row; it ends at the first `end_id`, after which
    its ids are `PAD_ID` (0) and its score stays fixed. Equal to
    `BeamSearchDecoder(beam_width=1, length_penalty=0.0)`. Ties go to the
    smallest token id. See `Decoder` for the `step_fn` contract.

    Args:
        max_length: Positive integer, the number of decoding steps (the most
            tokens emitted, the end token included).
        end_id: Non-negative integer, the id that ends a sequence.

    Call arguments:
        step_fn: ``step_fn(ids [N], state, t) -> (logits [N, V], new_state)``,
            called with N = B.
        initial_state: Nested structure of `[B, ...]` tensors, or None.
        start_ids: int `[B]`, the first input id of every row.

    Returns:
        `(ids, scores, lengths)`:
        - ids: int32 `[B, max_length]`, the emitted tokens without the start
          id and without the end token, `PAD_ID` from the end token on.
        - scores: float32 `[B]`, ``sum_t log P(y_t | y_<t, x)`` over the
          emitted tokens, the end token included.
        - lengths: int32 `[B]`, the number of tokens before the end token
          (`max_length` when no end token was emitted).

    Example:

    >>> table = tf.math.log([[0.1, 0.2, 0.7], [0.1, 0.8, 0.1], [0.1, 0.8, 0.1]])
    >>> step_fn = lambda ids, state, t: (tf.gather(table, ids), state)
    >>> ids, scores, lengths = GreedyDecoder(max_length=4, end_id=1)(
    ...     step_fn, (), tf.constant([0]))
    >>> ids.numpy(), lengths.numpy()  # 0 -> 2 -> end
    (array([[2, 0, 0, 0]], dtype=int32), array([1], dtype=int32))
    """

    def get_next_token(self, log_probs, lengths):
        # K = 1: log_probs is [B, V]; the argmax of the cumulative score is
        # the argmax of this step's log-probabilities.
        return tf.argmax(log_probs, axis=-1, output_type=tf.int32)[:, None]  # [B, 1]

    def __call__(self, step_fn, initial_state, start_ids):
        ids, log_probs, lengths, _ = self._search(step_fn, initial_state, start_ids, 1)
        return ids[:, 0], log_probs[:, 0], lengths[:, 0]
