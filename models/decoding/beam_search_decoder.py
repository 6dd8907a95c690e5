"""`BeamSearchDecoder`: batched beam search with the GNMT length penalty."""

import keras
import tensorflow as tf

from models.decoding.decoder import Decoder


def length_penalty(lengths, alpha):
    """The length penalty of Wu et al. (2016), equation (14).

        ``lp(Y) = (5 + |Y|)^alpha / (5 + 1)^alpha``

    Args:
        lengths: Integer tensor, |Y|, the number of scored tokens.
        alpha: Float; 0 gives lp = 1 (no normalisation), 1 roughly the
            per-token average.

    Returns:
        float32 tensor shaped like `lengths`.
    """
    return tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, float(alpha))


@keras.saving.register_keras_serializable(package="rnnlab")
class BeamSearchDecoder(Decoder):
    """Batched beam search, hypotheses ranked by the GNMT length-penalised score.

    Every batch row keeps `beam_width` (K) hypotheses. At each step each
    hypothesis proposes its V one-token extensions and the K best of the
    ``K * V`` candidates survive (Graves 2012, section 2; Sutskever et al.
    2014, section 3.2). Candidates are ranked by the score of Wu et al.
    (2016), equation (14), without the coverage penalty:

        ``s(Y, X) = log P(Y | X) / lp(Y)``,
        ``lp(Y) = (5 + |Y|)^alpha / (5 + 1)^alpha``

    where ``log P(Y | X)`` sums the log-probabilities of the emitted tokens,
    the end token included, and |Y| counts those same tokens. As in GNMT the
    penalised score is used both to choose the survivors at every step and
    for the final ranking; with ``alpha = 0`` it is the plain sum of
    log-probabilities. Among unfinished hypotheses (all of one length) the
    penalty does not change the order; it matters when finished and
    unfinished ones compete.

    The state is tiled to ``[B * K, ...]`` (row ``b * K + k``) and reordered
    by the parent of every survivor after each step. At the first step beams
    1..K-1 start at log-probability -inf, so the K beams that come out are K
    distinct tokens of the single start hypothesis. A hypothesis that emits
    `end_id` is finished: it extends only with `PAD_ID` (0) at no cost, so
    its log-probability and |Y| stay fixed while it remains in the beam. If
    fewer than K hypotheses are possible (e.g. ``K > V`` at the first step),
    the extra beams score -inf and sort last. See `Decoder` for the `step_fn`
    contract.

    Args:
        beam_width: Positive integer K, the hypotheses kept per batch row.
        max_length: Positive integer, the number of decoding steps (the most
            tokens emitted, the end token included).
        end_id: Non-negative integer, the id that ends a hypothesis.
        length_penalty: Float alpha of equation (14). Default 0.6 (the value
            Wu et al. tuned on WMT'14 En-Fr was 0.2-0.6); 0 disables it.

    Call arguments:
        step_fn: ``step_fn(ids [N], state, t) -> (logits [N, V], new_state)``,
            called with ``N = B * K``.
        initial_state: Nested structure of `[B, ...]` tensors (tiled here),
            or None.
        start_ids: int `[B]`, the first input id of every row.

    Returns:
        `(ids, scores, lengths)`, each sorted best first along the beam axis:
        - ids: int32 `[B, K, max_length]`, the emitted tokens without the
          start id and without the end token, `PAD_ID` from the end token on.
        - scores: float32 `[B, K]`, the penalised scores ``s(Y, X)``.
        - lengths: int32 `[B, K]`, the number of tokens before the end token
          (`max_length` for a hypothesis that never emitted it). |Y| in the
          penalty is `lengths + 1` for a finished hypothesis, `lengths`
          otherwise.

    Example:

    >>> decoder = BeamSearchDecoder(beam_width=4, max_length=20, end_id=2)
    >>> ids, scores, lengths = decoder(step_fn, initial_state, start_ids)
    >>> best = ids[:, 0]  # [B, max_length]

    References:
        Wu et al. (2016), "Google's neural machine translation system:
        bridging the gap between human and machine translation", section 7,
        equation (14).
        Graves (2012), "Sequence transduction with recurrent neural networks".
        Sutskever, Vinyals and Le (2014), "Sequence to sequence learning with
        neural networks".
    """

    def __init__(self, beam_width, max_length, end_id, length_penalty=0.6):
        super().__init__(max_length=max_length, end_id=end_id)
        if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
            raise ValueError(
                f"`beam_width` must be a positive integer. Received: beam_width={beam_width}"
            )
        if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float)):
            raise ValueError(
                f"`length_penalty` must be a number. Received: length_penalty={length_penalty}"
            )
        self.beam_width = beam_width
        self.length_penalty = float(length_penalty)

    def score(self, log_probs, lengths):
        """``s(Y, X) = log P(Y | X) / lp(Y)`` (Wu et al. 2016, eq. 14)."""
        return log_probs / length_penalty(lengths, self.length_penalty)

    def get_next_token(self, log_probs, lengths):
        scores = self.score(log_probs, lengths)  # [B, K * V]
        return tf.math.top_k(scores, k=self.beam_width).indices  # [B, K]

    def __call__(self, step_fn, initial_state, start_ids):
        ids, log_probs, lengths, finished = self._search(
            step_fn, initial_state, start_ids, self.beam_width
        )
        scores = self.score(log_probs, lengths + tf.cast(finished, tf.int32))  # [B, K]
        order = tf.argsort(scores, axis=-1, direction="DESCENDING", stable=True)  # [B, K]
        return (
            tf.gather(ids, order, batch_dims=1),
            tf.gather(scores, order, batch_dims=1),
            tf.gather(lengths, order, batch_dims=1),
        )

    def get_config(self):
        config = super().get_config()
        config.update({"beam_width": self.beam_width, "length_penalty": self.length_penalty})
        return config
