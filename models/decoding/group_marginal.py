"""`group_marginal`: decode over classes of tokens, each scored by its total mass.

Some vocabularies split one decision into several tokens: ARPAbet writes a
vowel with its stress (`AH0`, `AH1`, `AH2`), so a model unsure of the stress
spreads the vowel's probability over three tokens, and a search for the best
stressed sequence can pick another vowel whose single token beats each of
them though not their sum. Scoring a class by the sum lets the search choose
the vowel first:

    ``log P(c | y_<t, x) = log sum_{v in c} P(v | y_<t, x)``

and the class is emitted as its most probable member, whose state the
decoder carries on (a one-best approximation: the sum over the members'
different continuations is not kept).
"""

import numpy as np
import tensorflow as tf

#: What a token outside its class's best scores: far below any real
#: log-probability, finite so that sums stay finite.
EXCLUDED = -1e9


def group_marginal(log_probs, groups):
    """Log-probabilities `[N, V]` -> the same with each class summed.

    Args:
        log_probs: float32 `[N, V]`, log-probabilities of the V tokens (masked
            tokens may hold large negative values).
        groups: sequence of length V, the class of every token: tokens of
            one class share a value (integers or strings, e.g. the phoneme
            without its stress digit).

    Returns:
        float32 `[N, V]`: at the most probable token of each class (the first
        on ties), the class's log-sum-exp; elsewhere `EXCLUDED`. A step
        function returning it makes a decoder choose among classes and emit
        their best members.
    """
    _, index = np.unique(np.asarray(groups), return_inverse=True)  # [V] in 0..G-1
    members = tf.constant(np.eye(index.max() + 1, dtype="float32")[index])  # [V, G]
    outside = (1.0 - members) * EXCLUDED  # [V, G], 0 for members
    group_max = tf.reduce_max(log_probs[:, :, None] + outside[None], axis=1)  # [N, G]
    own_max = tf.gather(group_max, index, axis=1)  # [N, V]
    # sum_v exp(lp_v - max) >= 1 (the max itself), so the log stays finite.
    total = tf.math.log(tf.matmul(tf.exp(log_probs - own_max), members))  # [N, G]
    marginal = tf.gather(group_max + total, index, axis=1)  # [N, V]
    best = tf.cast(tf.equal(log_probs, own_max), tf.float32)  # [N, V]
    # one winner per class on ties: no best member of its class before it
    per_class = best[:, :, None] * members[None]  # [N, V, G]
    before = tf.reduce_sum(tf.cumsum(per_class, axis=1, exclusive=True) * members[None],
                           axis=2)  # [N, V]
    winner = tf.logical_and(best > 0, tf.equal(before, 0.0))
    return tf.where(winner, marginal, EXCLUDED)
