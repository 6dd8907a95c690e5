"""Dynamic evaluation: a language model that keeps learning from the text
it scores."""

import math

import numpy as np
import tensorflow as tf

LN2 = math.log(2.0)


def dynamic_log2_probabilities(model, ids, learning_rate, decay=0.0, segment=50):
    """log2 p(ids[t] | ids[:t]) for t = 1..N-1 (`[N-1]`), the model adapting
    to the text as it reads it.

    Dynamic evaluation (Krause et al. 2018, section 4, the SGD rule): the
    stream is cut into segments s_1, s_2, ... of `segment` characters. Each
    segment is first scored with the current weights theta_{i-1}, carrying
    the recurrent state from the previous segment as in static scoring;
    then one gradient step on that segment's mean cross-entropy L(s_i)
    (truncated backpropagation through the segment, seed 003 slides 21-22)
    moves the weights, pulled back towards the trained weights theta_0:

        theta_i = theta_{i-1} - eta * grad L(s_i) + lambda * (theta_0 - theta_{i-1})

    So every character is scored by a model that has seen only the
    characters before it (the scores of a prefix do not depend on what
    follows it), and repeated names and phrases of a document become
    likelier after their first occurrences. With `learning_rate` 0 the
    scores are the static ones. Dropout is off. The model's weights are
    restored on return.

    Args:
        model: an unconditional `CharLanguageModel`.
        ids: int id stream `[N]`.
        learning_rate: eta, the SGD step size on the mean segment loss in
            nats.
        decay: lambda in [0, 1], the pull towards the trained weights.
        segment: characters per segment (one update each).

    Returns:
        float `[N-1]` log2-probabilities.

    References:
        Ben Krause, Emmanuel Kahembwe, Iain Murray and Steve Renals (2018),
        "Dynamic Evaluation of Neural Sequence Models", ICML.
    """
    if learning_rate < 0 or not 0 <= decay <= 1 or segment < 1:
        raise ValueError("need learning_rate >= 0, 0 <= decay <= 1 and segment >= 1. Received: "
                         f"learning_rate={learning_rate}, decay={decay}, segment={segment}")
    variables = model.trainable_variables
    trained = [tf.constant(v.numpy()) for v in variables]
    ids_spec = tf.TensorSpec([1, None], tf.int32)
    state_specs = tf.nest.map_structure(lambda s: tf.TensorSpec([None, *s.shape[1:]], s.dtype),
                                        model.initial_states(1))
    eta = tf.constant(learning_rate, tf.float32)
    lam = tf.constant(decay, tf.float32)

    @tf.function(input_signature=[ids_spec, ids_spec, state_specs])
    def score_then_learn(x, y, states):
        with tf.GradientTape() as tape:
            logits, states = model.forward(x, states)  # [1, S, V]
            log_p = tf.nn.log_softmax(tf.cast(logits, tf.float32))
            log_p = tf.gather(log_p, y, batch_dims=2)[0]  # [S]
            loss = -tf.reduce_mean(log_p)
        grads = tape.gradient(loss, variables)
        for v, g, v0 in zip(variables, grads, trained, strict=True):
            w = v.value
            v.assign(w - eta * tf.convert_to_tensor(g) + lam * (v0 - w))
        return log_p / LN2, tf.nest.map_structure(tf.stop_gradient, states)

    ids = np.asarray(ids, np.int32)
    states = model.initial_states(1)
    out = []
    try:
        for start in range(0, len(ids) - 1, segment):
            y = ids[start + 1:start + segment + 1]
            x = ids[start:start + len(y)]
            bits, states = score_then_learn(tf.constant(x[None]), tf.constant(y[None]), states)
            out.append(bits.numpy())
    finally:
        for v, v0 in zip(variables, trained, strict=True):
            v.assign(v0)
    return np.concatenate(out) if out else np.zeros(0)
