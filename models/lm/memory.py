"""A nearest-neighbour memory over the training text (kNN-LM).

Khandelwal, Levy, Jurafsky, Zettlemoyer and Lewis (2020) store, for every
position i of the training text, the pair (k_i, v_i) of the hidden state a
trained language model computed there and the token that followed it.
At test time the current state q = h_t retrieves its k nearest keys N
under the squared Euclidean distance d, and those vote for the next token
(section 2, eq. (2)):

    p_kNN(w | x_1..t) ∝ sum_{(k_i, v_i) in N} 1[v_i = w] exp(-d(k_i, q) / T)

which is interpolated with the model's softmax (eq. (3)):

    p(w) = (1 - lambda) p_model(w) + lambda p_kNN(w)

It is the continuous cache (`models.lm.cache`, Grave et al. 2017) with
the training text as the history and a distance instead of a dot product:
where the cache copies from the last few thousand characters the model has
read, the memory copies from everything it was trained on, so a phrase of
the scored text that occurs verbatim in the training text is predicted
from the characters that followed it there. No weight is trained; the
temperature T (here a grid, the paper fixes T = 1) and lambda are chosen on
validation text. The keys hold only the training text, so no score reads
the scored text at all, let alone its future.

The search is exact: per block of queries one matmul against all keys,
``d = |q|^2 - 2 q.k + |k|^2``, and `tf.math.top_k` (the paper uses FAISS's
approximate search over 10^8 keys; a character-level training text of 10^5
to 10^6 positions does not need it).

References:
    Urvashi Khandelwal, Omer Levy, Dan Jurafsky, Luke Zettlemoyer and Mike
    Lewis (2020), "Generalization through Memorization: Nearest Neighbor
    Language Models", ICLR.
"""

import math

import numpy as np
import tensorflow as tf

LN2 = math.log(2.0)


@tf.function(input_signature=[
    tf.TensorSpec([None, None], tf.float32),  # queries [B, d]
    tf.TensorSpec([None, None], tf.float32),  # keys [M, d]
    tf.TensorSpec([None], tf.float32),  # |k|^2 [M]
    tf.TensorSpec([], tf.int32),  # neighbours k
])
def _nearest_block(queries, keys, key_norms, neighbours):
    """`(d [B, k], index [B, k])` of the k nearest keys of each query, nearest
    first."""
    query_norms = tf.reduce_sum(queries * queries, axis=1, keepdims=True)  # [B, 1]
    distances = query_norms - 2.0 * tf.matmul(queries, keys, transpose_b=True) + key_norms[None]
    negative, index = tf.math.top_k(-distances, neighbours)  # [B, k]
    return tf.maximum(-negative, 0.0), index  # rounding can leave d slightly below 0


def nearest_neighbours(keys, values, queries, neighbours, block=256, progress=None):
    """The `neighbours` nearest keys of every query: `(distances [N, k],
    values [N, k])`, the squared distances and the tokens that followed those
    keys, nearest first.

    Args:
        keys: `[M, d]` the stored hidden states (the training text's).
        values: int `[M]`, the token that followed each key.
        queries: `[N, d]` the hidden states of the scored text.
        neighbours: k, at most M.
        block: queries per matmul (the result does not depend on it).
        progress: optional callable `progress(done)` after every block,
            e.g. a `keras.utils.Progbar`'s `update`.
    """
    keys = np.asarray(keys, np.float32)
    values = np.asarray(values, np.int32)
    queries = np.asarray(queries, np.float32)
    if not 1 <= neighbours <= len(keys) or block < 1:
        raise ValueError(f"need 1 <= neighbours <= {len(keys)} keys and block >= 1. "
                         f"Received: neighbours={neighbours}, block={block}")
    key_tensor = tf.constant(keys)
    key_norms = tf.reduce_sum(key_tensor * key_tensor, axis=1)
    k = tf.constant(neighbours, tf.int32)
    distances = np.empty((len(queries), neighbours), np.float32)
    index = np.empty((len(queries), neighbours), np.int64)
    for start in range(0, len(queries), block):
        stop = min(start + block, len(queries))
        d, i = _nearest_block(tf.constant(queries[start:stop]), key_tensor, key_norms, k)
        distances[start:stop], index[start:stop] = d.numpy(), i.numpy()
        if progress is not None:
            progress(stop)
    return distances, values[index]


def memory_log2_probabilities(distances, neighbour_values, targets, temperatures):
    """log2 p_kNN(targets[t]) `[K, N]` for each temperature T, from the
    neighbours `nearest_neighbours` found: -inf where no neighbour was
    followed by the target.

    Args:
        distances: `[N, k]` squared distances of each query's neighbours.
        neighbour_values: int `[N, k]` the tokens that followed them.
        targets: int `[N]` the token that followed each query.
        temperatures: T, `[K]` (or one number), > 0.
    """
    distances = np.asarray(distances, np.float64)
    temperatures = np.atleast_1d(np.asarray(temperatures, np.float64))
    if (temperatures <= 0).any():
        raise ValueError(f"temperatures must be > 0. Received: {temperatures}")
    match = np.asarray(neighbour_values) == np.asarray(targets)[:, None]  # [N, k]
    out = np.empty((len(temperatures), len(distances)))
    for row, temperature in enumerate(temperatures):  # one [N, k] array at a time
        scores = -distances / temperature  # [N, k]
        log_total = np.logaddexp.reduce(scores, axis=-1)  # [N]
        log_match = np.logaddexp.reduce(np.where(match, scores, -np.inf), axis=-1)
        out[row] = (log_match - log_total) / LN2
    return out
