"""The continuous cache: a language model's attention over its own history.

Grave, Joulin and Usunier (2017) store the pairs (h_i, x_{i+1}) of the
hidden states a trained recurrent language model has computed and the
characters that followed them, and read them with the current hidden state
h_t as the query (section 3, eq. (2)):

    p_cache(w | h_1..t, x_1..t) ∝ sum_{i < t} 1[x_{i+1} = w] exp(theta h_t . h_i)

over the last `window` positions, mixed with the model's softmax by linear
interpolation (eq. (3)):

    p(w) = (1 - lambda) p_model(w) + lambda p_cache(w)

No weight is trained: theta (the sharpness of the attention) and lambda
are chosen on validation text, so the cache serves any trained cell, and
also a model adapting by dynamic evaluation (the keys are the states the
model computed when it read those characters). It is dot-product
attention whose values are one-hot next characters (Bahdanau et al. 2015's
mechanism with the scores of Luong et al. 2015's "dot" form); the window
makes it local.

Computed in blocks of `block` queries: each block is one batched matmul of
its queries against the `window + block` keys before and inside it, masked
to the band ``t - window <= i < t`` (so no score reads position t or later).

References:
    Edouard Grave, Armand Joulin and Nicolas Usunier (2017), "Improving
    Neural Language Models with a Continuous Cache", ICLR.
"""

import math

import numpy as np
import tensorflow as tf

LN2 = math.log(2.0)


@tf.function(input_signature=[
    tf.TensorSpec([None, None], tf.float32),  # queries [B, d]
    tf.TensorSpec([None, None], tf.float32),  # keys [B + W, d]
    tf.TensorSpec([None], tf.int32),  # query targets [B]
    tf.TensorSpec([None], tf.int32),  # key targets [B + W], -1 = no key
    tf.TensorSpec([None], tf.float32),  # thetas [K]
    tf.TensorSpec([], tf.int32),  # window W
])
def _block(queries, keys, query_targets, key_targets, thetas, window):
    """log p_cache(query_targets) `[K, B]` for each theta, and `[B]` whether
    the query had any key; key j of the block is position t0 - W + j for
    the query q at position t0 + q."""
    dots = tf.matmul(queries, keys, transpose_b=True)  # [B, B + W]
    b, j = tf.shape(queries)[0], tf.shape(keys)[0]
    q_index = tf.range(b)[:, None]  # [B, 1]
    k_index = tf.range(j)[None, :]  # [1, B + W]
    # position i = t0 - W + j is before t = t0 + q and within W of it
    band = (k_index >= q_index) & (k_index < q_index + window)  # [B, B + W]
    valid = band & (key_targets[None, :] >= 0)  # [B, B + W]
    match = valid & tf.equal(key_targets[None, :], query_targets[:, None])  # [B, B + W]
    scores = thetas[:, None, None] * dots[None]  # [K, B, B + W]
    minus_inf = tf.constant(-np.inf, tf.float32)
    log_total = tf.reduce_logsumexp(tf.where(valid[None], scores, minus_inf), axis=-1)  # [K, B]
    log_match = tf.reduce_logsumexp(tf.where(match[None], scores, minus_inf), axis=-1)
    has_keys = tf.reduce_any(valid, axis=-1)  # [B]
    return tf.where(has_keys[None], log_match - log_total, minus_inf), has_keys


def cache_log2_probabilities(hidden, targets, thetas, window, fallback=None, block=256):
    """log2 p_cache(targets[t] | history) for every t and every theta.

    Args:
        hidden: `[N, d]` the hidden states h_t, in reading order; h_t is
            the state that predicts `targets[t]`.
        targets: int `[N]`, the character that followed each state
            (x_{t+1}).
        thetas: the attention sharpnesses theta to score, `[K]` (or one
            number).
        window: W, how many of the previous positions the cache holds.
        fallback: optional `[N]` log2-probabilities used where the cache
            holds nothing (t = 0, or W = 0), e.g. the model's own, so that
            mixing leaves those positions to the model; by default -inf.
        block: queries per batched matmul (the result does not depend on it).

    Returns:
        float `[K, N]` log2 p_cache (-inf where no cached position was
        followed by the target).
    """
    if window < 0 or block < 1:
        raise ValueError(f"need window >= 0 and block >= 1. Received: window={window}, "
                         f"block={block}")
    hidden = np.asarray(hidden, np.float32)
    targets = np.asarray(targets, np.int32)
    thetas = np.atleast_1d(np.asarray(thetas, np.float32))
    n, width = hidden.shape
    keys = np.concatenate([np.zeros((window, width), np.float32), hidden])  # [W + N, d]
    key_targets = np.concatenate([np.full(window, -1, np.int32), targets])  # [W + N]
    out = np.full((len(thetas), n), -np.inf)
    empty = np.zeros(n, bool)
    for start in range(0, n, block):
        stop = min(start + block, n)
        log_p, has_keys = _block(hidden[start:stop], keys[start:stop + window],
                                 targets[start:stop], key_targets[start:stop + window],
                                 thetas, tf.constant(window, tf.int32))
        out[:, start:stop] = log_p.numpy() / LN2
        empty[start:stop] = ~has_keys.numpy()
    if fallback is not None:
        out[:, empty] = np.asarray(fallback)[empty]
    return out
