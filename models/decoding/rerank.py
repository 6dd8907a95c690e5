"""`rerank`: reorder beam-search n-best lists by other models' scores."""

import tensorflow as tf

from models.decoding.beam_search_decoder import length_penalty


def rerank(ids, lengths, beam_scores, scorers, weights, alpha=0.6):
    """Reorders the n-best lists of a beam search by a weighted sum of the
    log-probabilities several models give each whole hypothesis.

    Every hypothesis Y of a row is rescored as

        ``s(Y, X) = sum_i w_i log P_i(Y | X) / lp(Y)``,
        ``lp(Y) = (5 + |Y|)^alpha / (5 + 1)^alpha``

    (the length-penalised score of Wu et al. 2016, eq. 14, over a weighted
    mean of models: a log-linear combination, as in n-best rescoring for
    speech recognition and translation, Och and Ney 2002). With models that
    read the target in the other order (right to left) this is the
    agreement rescoring of Liu et al. (2016): the left-to-right search
    proposes, both directions judge. |Y| counts the end token; a hypothesis
    that filled all T steps without one is unfinished and, as in the beam
    search, scored without it.

    Args:
        ids: int `[B, K, T]`, the hypotheses, `PAD_ID` after each one's end
            (as `BeamSearchDecoder` returns them).
        lengths: int `[B, K]`, tokens before the end token.
        beam_scores: float `[B, K]`, the search's scores; a beam scored -inf
            (no such hypothesis) stays last.
        scorers: functions `(ids [N, T], lengths [N], ended [N]) ->
            log P(Y | X) [N]`, called with the `B * K` hypotheses flattened
            (row `b * K + k`); the probability includes the end token where
            `ended` (bool) is true.
        weights: one float per scorer, the w_i (summing to 1 gives a mean).
        alpha: the length penalty's exponent; 0 ranks by the weighted sum.

    Returns:
        `(ids, scores, lengths)` reordered best first along the beam axis,
        `scores` the new `s(Y, X)`.

    References:
        Liu, Utiyama, Finch and Sumita (2016), "Agreement on
        target-bidirectional neural machine translation", NAACL.
        Och and Ney (2002), "Discriminative training and maximum entropy
        models for statistical machine translation", ACL.
        Wu et al. (2016), "Google's neural machine translation system",
        equation (14).
    """
    if len(scorers) != len(weights) or not scorers:
        raise ValueError(f"`scorers` and `weights` must be non-empty and of one length. "
                         f"Received: {len(scorers)} scorers and {len(weights)} weights")
    batch, width, steps = tf.unstack(tf.shape(ids))
    flat_ids = tf.reshape(ids, [batch * width, steps])  # [N, T]
    flat_lengths = tf.reshape(lengths, [-1])  # [N]
    ended = lengths < steps  # [B, K]
    flat_ended = tf.reshape(ended, [-1])  # [N]
    total = tf.add_n([weight * tf.cast(scorer(flat_ids, flat_lengths, flat_ended), tf.float32)
                      for scorer, weight in zip(scorers, weights, strict=True)])  # [N]
    scored_lengths = lengths + tf.cast(ended, lengths.dtype)  # |Y|
    scores = tf.reshape(total, [batch, width]) / length_penalty(scored_lengths, alpha)
    scores = tf.where(tf.math.is_finite(beam_scores), scores, float("-inf"))
    order = tf.argsort(scores, axis=-1, direction="DESCENDING", stable=True)  # [B, K]
    return (tf.gather(ids, order, batch_dims=1), tf.gather(scores, order, batch_dims=1),
            tf.gather(lengths, order, batch_dims=1))
