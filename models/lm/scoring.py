"""Scoring a text stream with a character language model: statically, and
with dynamic evaluation (the model keeps learning from the text it scores).

Both read one stream in consecutive segments with the recurrent state
carried across, so every character is scored given its whole history, as
the n-gram baseline's scores are laid out (`models.classical.ngram`).
"""

import math

import numpy as np
import tensorflow as tf

LN2 = math.log(2.0)

# Batch and time both dynamic: one trace for every segment. (A static batch
# with a dynamic time axis makes `models.Recurrent` run min(B, T) steps
# only; see the report of issue 5.)
IDS_SPEC = tf.TensorSpec([None, None], tf.int32)


def state_signature(model):
    """TensorSpecs of `model.initial_states` with a dynamic batch."""
    return tf.nest.map_structure(lambda s: tf.TensorSpec([None, *s.shape[1:]], s.dtype),
                                 model.initial_states(1))


def segments(ids, length):
    """`(x [1, S], y [1, S])` int32 pairs covering the stream `ids` (1-D):
    y = x shifted by one, S = `length` except for the last."""
    ids = np.asarray(ids, np.int32)
    for start in range(0, len(ids) - 1, length):
        y = ids[start + 1:start + length + 1]
        yield tf.constant(ids[start:start + len(y)][None]), tf.constant(y[None])


def gathered_log2(logits, y):
    """log2 p(y) `[S]` of logits `[1, S, V]` and targets `[1, S]`."""
    log_p = tf.nn.log_softmax(tf.cast(logits, tf.float32))
    return tf.gather(log_p, y, batch_dims=2)[0] / LN2


def forward_with_hidden(model, x, states, return_hidden):
    """`(logits [1, S, V], states, h [S, units] or None)`: `model.forward`,
    and with `return_hidden` the last layer's outputs too (a
    `CharLanguageModel` only)."""
    if not return_hidden:
        logits, states = model.forward(x, states)
        return logits, states, None
    hidden, states = model.features(x, states)  # [1, S, units]
    return model.output_layer(hidden), states, tf.cast(hidden[0], tf.float32)


def collected(out, hidden):
    """The concatenated scores `[N-1]`, and with `hidden` the concatenated
    states `[N-1, units]` too."""
    bits = np.concatenate(out) if out else np.zeros(0)
    return (bits, np.concatenate(hidden)) if hidden is not None else bits


def log2_probabilities(model, ids, window=1024, return_hidden=False):
    """log2 p(ids[t] | ids[:t]) for t = 1..N-1 (`[N-1]`), read `window`
    characters at a time.

    Args:
        model: an unconditional `CharLanguageModel` or a
            `LanguageModelMixture`.
        ids: int id stream `[N]`.
        window: characters per call (the scores do not depend on it).
        return_hidden: also return the hidden states `[N-1, units]` that
            predicted each character (a `CharLanguageModel` only): the
            keys and queries of the continuous cache (`models.lm.cache`).
    """

    @tf.function(input_signature=[IDS_SPEC, IDS_SPEC, state_signature(model)])
    def score(x, y, states):
        logits, states, hidden = forward_with_hidden(model, x, states, return_hidden)
        bits = gathered_log2(logits, y)  # [W]
        return (bits, states, hidden) if return_hidden else (bits, states)

    states, out, hidden = model.initial_states(1), [], [] if return_hidden else None
    for x, y in segments(ids, window):
        bits, states, *h = score(x, y, states)
        out.append(bits.numpy())
        if return_hidden:
            hidden.append(h[0].numpy())
    return collected(out, hidden)


def dynamic_log2_probabilities(model, ids, learning_rate, decay=0.0, segment=50,
                               return_hidden=False):
    """log2 p(ids[t] | ids[:t]) for t = 1..N-1 (`[N-1]`), the model adapting
    to the text as it reads it.

    Dynamic evaluation (Krause et al. 2018, section 4, the SGD rule): the
    stream is cut into segments s_1, s_2, ... of `segment` characters. Each
    segment is first scored with the current weights theta_{i-1}, carrying
    the recurrent state from the previous segment as in static scoring;
    then one gradient step on that segment's mean cross-entropy L(s_i)
    (truncated backpropagation through the segment, Beigy, "Deep learning: Recurrent neural
    networks", slides 21-22) moves the weights, pulled back towards the trained weights theta_0:

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
        return_hidden: also return the hidden states `[N-1, units]` that
            scored each character (computed with the weights of that
            moment): the keys and queries of the continuous cache inside
            dynamic evaluation (`models.lm.cache`).

    Returns:
        float `[N-1]` log2-probabilities (and the hidden states).

    References:
        Ben Krause, Emmanuel Kahembwe, Iain Murray and Steve Renals (2018),
        "Dynamic Evaluation of Neural Sequence Models", ICML.
    """
    if learning_rate < 0 or not 0 <= decay <= 1 or segment < 1:
        raise ValueError("need learning_rate >= 0, 0 <= decay <= 1 and segment >= 1. Received: "
                         f"learning_rate={learning_rate}, decay={decay}, segment={segment}")
    variables = model.trainable_variables
    trained = [tf.constant(v.numpy()) for v in variables]
    eta = tf.constant(learning_rate, tf.float32)
    lam = tf.constant(decay, tf.float32)

    @tf.function(input_signature=[IDS_SPEC, IDS_SPEC, state_signature(model)])
    def score_then_learn(x, y, states):
        with tf.GradientTape() as tape:
            logits, states, hidden = forward_with_hidden(model, x, states, return_hidden)
            bits = gathered_log2(logits, y)  # [S]
            loss = -tf.reduce_mean(bits) * LN2  # nats
        grads = tape.gradient(loss, variables)
        for v, g, v0 in zip(variables, grads, trained, strict=True):
            w = v.value
            v.assign(w - eta * tf.convert_to_tensor(g) + lam * (v0 - w))
        states = tf.nest.map_structure(tf.stop_gradient, states)
        return (bits, states, tf.stop_gradient(hidden)) if return_hidden else (bits, states)

    states, out, hidden = model.initial_states(1), [], [] if return_hidden else None
    try:
        for x, y in segments(ids, segment):
            bits, states, *h = score_then_learn(x, y, states)
            out.append(bits.numpy())
            if return_hidden:
                hidden.append(h[0].numpy())
    finally:
        for v, v0 in zip(variables, trained, strict=True):
            v.assign(v0)
    return collected(out, hidden)
