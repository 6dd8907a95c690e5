"""`Sampler`: draw characters one at a time from a language model, in graph."""

import tensorflow as tf

NEG_INF = -1e9


def next_ids(logits, temperature, top_k, seed):
    """One id per row drawn from ``softmax(logits / temperature)``.

    Args:
        logits: `[B, V]`, unnormalised.
        temperature: float scalar; above 1 flattens the distribution, below 1
            sharpens it; 0 or less picks the most probable id (greedy).
        top_k: Python int; above 0, only the k most probable ids of each row
            can be drawn (the rest get probability 0).
        seed: int32 `[2]`, the seed of `tf.random.stateless_categorical`:
            the same seed and logits draw the same ids.

    Returns:
        int32 `[B]`.
    """
    logits = tf.cast(logits, tf.float32)
    if top_k:
        k = tf.minimum(top_k, tf.shape(logits)[-1])
        kth = tf.math.top_k(logits, k=k).values[:, -1:]  # [B, 1]
        logits = tf.where(logits < kth, NEG_INF, logits)
    greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)  # [B]
    temperature = tf.cast(temperature, tf.float32)
    scaled = logits / tf.maximum(temperature, 1e-6)
    drawn = tf.random.stateless_categorical(scaled, 1, seed, dtype=tf.int32)[:, 0]  # [B]
    return tf.where(temperature > 0.0, drawn, greedy)


class Sampler:
    """Autoregressive sampling (Beigy, "Deep learning: Recurrent neural networks", slide 4: "sample
    characters one at a time, feed back to model") with temperature and top-k, seeded.

    Randomness comes only from stateless ops: step t draws with the seed
    ``fold_in(seed, t)``, so a given seed, model and request always give the
    same text (in eager mode, in a `tf.function` and in an exported
    SavedModel alike), and no random state is kept between requests.

    The model side is a step function

        ``logits, new_states = step_fn(ids [B], states)``

    with `states` any nested structure of `[B, ...]` tensors whose shapes do
    not change between steps.

    Args:
        top_k: 0 (default) samples from the whole distribution; k > 0 only
            from the k most probable ids.
        forbidden: ids never drawn (e.g. padding and out-of-vocabulary).
        end_id: optional id that ends a row: it is emitted, and every later
            id of that row is `end_id` too.

    Call arguments:
        step_fn: the model's step function.
        states: the states after the prompt.
        logits: `[B, V]`, the prediction after the prompt (for the first id).
        length: int32 scalar, the number of ids drawn (0 or more).
        temperature: float scalar (see `next_ids`).
        seed: int scalar or `[2]` seed.

    Returns:
        int32 `[B, n]`: n = `length`, or fewer when every row has emitted
        `end_id` (the loop stops there).
    """

    def __init__(self, top_k=0, forbidden=(), end_id=None):
        if top_k < 0:
            raise ValueError(f"`top_k` must be 0 or more. Received: top_k={top_k}")
        self.top_k = int(top_k)
        self.forbidden = tuple(int(i) for i in forbidden)
        self.end_id = end_id

    def _mask(self, logits):
        logits = tf.cast(logits, tf.float32)
        if not self.forbidden:
            return logits
        vocab = tf.shape(logits)[-1]
        penalty = tf.reduce_sum(tf.one_hot(self.forbidden, vocab) * NEG_INF, axis=0)  # [V]
        return logits + penalty

    def __call__(self, step_fn, states, logits, length, temperature, seed):
        seed = tf.cast(tf.reshape(seed, [-1]), tf.int32)
        seed = tf.concat([seed, tf.zeros([2], tf.int32)], 0)[:2]  # [2]
        length = tf.maximum(tf.cast(length, tf.int32), 0)
        batch = tf.shape(logits)[0]
        ids = tf.TensorArray(tf.int32, size=0, dynamic_size=True,
                             element_shape=tf.TensorShape([None]))
        done = tf.zeros([batch], tf.bool)

        def more(t, logits, states, done, ids):
            return (t < length) & ~tf.reduce_all(done)

        def body(t, logits, states, done, ids):
            step_seed = tf.random.experimental.stateless_fold_in(seed, t)
            new = next_ids(self._mask(logits), temperature, self.top_k, step_seed)  # [B]
            if self.end_id is not None:
                new = tf.where(done, self.end_id, new)
                done = done | tf.equal(new, self.end_id)
            ids = ids.write(t, new)
            logits, states = step_fn(new, states)
            return t + 1, logits, states, done, ids

        steps, _, _, _, ids = tf.while_loop(
            more, body, (tf.constant(0), logits, states, done, ids))
        # An empty TensorArray cannot stack (its element shape is unknown).
        return tf.cond(steps > 0, lambda: tf.transpose(ids.stack()),  # [B, steps]
                       lambda: tf.zeros([batch, 0], tf.int32))
