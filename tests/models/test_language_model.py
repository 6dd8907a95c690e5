"""`models.lm`: the character language model and its sampler."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.lm import CharLanguageModel, Sampler, next_ids

V, E, U, B, T = 7, 3, 4, 3, 6


def ids(seed=0, shape=(B, T)):
    return np.random.default_rng(seed).integers(1, V, shape).astype("int32")


def make(**kwargs):
    options = {"embedding_dim": E, "units": U, **kwargs}
    model = CharLanguageModel(V, **options)
    if options.get("condition_size"):
        model.build({"ids": (None, None), "condition": (None, options["condition_size"])})
    else:
        model.build((None, None))
    return model


def keras_reference(model, condition_size=0):
    """The same network from stock Keras layers (Embedding, LSTM, Dense)
    with the model's weights: the independent reference."""
    ids_in = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(V, E)(ids_in)
    inputs = [ids_in]
    if condition_size:
        c_in = keras.Input((condition_size,))
        inputs.append(c_in)
        c = keras.layers.RepeatVector(T)(c_in)
        x = keras.layers.Concatenate()([x, c])
    for _ in model.rnns:
        x = keras.layers.LSTM(U, return_sequences=True)(x)
    reference = keras.Model(inputs, keras.layers.Dense(V)(x))
    reference.set_weights([w.numpy() for w in model.trainable_weights])
    return reference


def test_config_roundtrip_and_serialization():
    model = make(layers=2, cell="gru", dropout=0.1)
    config = model.get_config()
    clone = CharLanguageModel.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(restored) is CharLanguageModel and restored.get_config() == config
    restored.set_weights(model.get_weights())
    np.testing.assert_allclose(restored(ids()), model(ids()), rtol=1e-6, atol=1e-6)
    # embedding, 3 GRU weights a layer, dense kernel and bias
    assert len(model.trainable_weights) == 1 + 3 * 2 + 2
    assert model(ids()).shape == (B, T, V)


def test_matches_stock_keras_layers():
    model = make(layers=2)
    np.testing.assert_allclose(model(ids()), keras_reference(model)(ids()), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
def test_step_by_step_equals_teacher_forcing(cell):
    """Feeding characters one at a time (generation) gives the logits of
    the teacher-forced pass over the whole sequence."""
    model = make(layers=2, cell=cell)
    x = ids(1)
    full, final = model.forward(x)
    states = model.initial_states(B)
    steps = []
    for t in range(T):
        logits, states = model.step(x[:, t], states)
        steps.append(logits)
    np.testing.assert_allclose(np.stack(steps, 1), full, rtol=1e-5, atol=1e-6)
    for a, b in zip(tf.nest.flatten(states), tf.nest.flatten(final), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_forward_mask_skips_right_padding():
    model = make()
    x = ids(2)
    x[0, 4:] = 0
    mask = x > 0
    logits, states = model.forward(x, mask=mask)
    short, short_states = model.forward(x[:1, :4])
    np.testing.assert_allclose(logits[0, :4], short[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states[0][0][:1], short_states[0][0], rtol=1e-5, atol=1e-6)


def test_stateful_carries_state_across_calls():
    """Truncated BPTT: two calls on consecutive halves equal one call on the
    whole sequence; `reset_state` starts afresh."""
    stateless = make(layers=2)
    stateful = make(layers=2, stateful=True, streams=B)
    for a, b in zip(stateful.trainable_weights, stateless.trainable_weights, strict=True):
        a.assign(b)
    x = ids(3)
    whole = stateless(x)
    first, second = stateful(x[:, :3]), stateful(x[:, 3:])
    np.testing.assert_allclose(np.concatenate([first, second], 1), whole, rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(stateful(x[:, 3:]), second)  # state moved on
    stateful.reset_state()
    assert all(not np.any(v.numpy()) for layer in stateful.carried for v in layer)
    np.testing.assert_allclose(stateful(x[:, :3]), first, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["initial", "input", "both"])
def test_conditioning(mode):
    """Seed 000 slide 23: the condition is the initial state ``tanh(W c +
    b)``, an extra input at every step, or both."""
    model = make(condition_size=2, condition_mode=mode)
    x = ids(4)
    c = np.array([[1, 0], [0, 1], [1, 0]], "float32")
    out = model({"ids": x, "condition": c})
    other = model({"ids": x, "condition": c[:, ::-1].copy()})
    assert out.shape == (B, T, V)
    assert not np.allclose(out, other)  # the condition matters
    states = model.initial_states(B, c)
    if mode == "input":
        assert all(not np.any(s) for s in tf.nest.flatten(states))
        reference = keras_reference(model, condition_size=2)
        np.testing.assert_allclose(out, reference([x, c]), rtol=1e-5, atol=1e-6)
    else:
        for dense, s in zip(model.condition_to_state[0], states[0], strict=True):
            kernel, bias = (w.numpy() for w in dense.weights)
            np.testing.assert_allclose(s, np.tanh(c @ kernel + bias), rtol=1e-5, atol=1e-6)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="streams"):
        CharLanguageModel(V, stateful=True)
    with pytest.raises(ValueError, match="cannot be stateful"):
        CharLanguageModel(V, stateful=True, streams=2, condition_size=3)
    with pytest.raises(ValueError, match="condition_mode"):
        CharLanguageModel(V, condition_mode="sideways")
    with pytest.raises(ValueError, match="condition"):
        make(condition_size=2).initial_states(B)


def test_xla_train_step_carries_state():
    model = make(stateful=True, streams=B)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), jit_compile=True)
    x = ids(5)
    assert np.isfinite(model.train_on_batch(x, x))
    assert np.any(model.carried[0][0].numpy())


def test_mixed_float16_trains_with_float32_logits():
    keras.config.set_dtype_policy("mixed_float16")
    model = make(stateful=True, streams=B)
    logits = model(ids())
    assert logits.dtype == "float32"
    assert model.rnns[0].compute_dtype == "float16"
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    assert np.isfinite(model.train_on_batch(ids(6), ids(7)))


# ------------------------------------------------------------------ sampler
PROBS = np.array([0.0, 0.0, 0.6, 0.3, 0.1])


def constant_step(ids, states):
    """A toy model: the same next-id distribution whatever came before."""
    logits = tf.math.log(tf.constant(PROBS, tf.float32) + 1e-30)
    return tf.tile(logits[None], [tf.shape(ids)[0], 1]), states


def test_next_ids_greedy_topk_and_frequencies():
    logits = tf.math.log(tf.tile(tf.constant(PROBS[None] + 1e-30, tf.float32), [6000, 1]))
    seed = tf.constant([1, 2])
    drawn = next_ids(logits, 1.0, 0, seed).numpy()
    freq = np.bincount(drawn, minlength=5) / len(drawn)
    np.testing.assert_allclose(freq, PROBS, atol=0.03)
    assert set(next_ids(logits, 1.0, 2, seed).numpy()) <= {2, 3}  # top-2 only
    assert set(next_ids(logits, 0.0, 0, seed).numpy()) == {2}  # greedy
    assert set(next_ids(logits, 1.0, 1, seed).numpy()) == {2}
    sharp = np.bincount(next_ids(logits, 0.25, 0, seed).numpy(), minlength=5)
    assert sharp[2] > 0.9 * len(drawn)  # low temperature sharpens


def test_sampler_is_seeded_and_respects_forbidden_and_end():
    sampler = Sampler(forbidden=(2,))
    logits, _ = constant_step(tf.zeros([4], tf.int32), ())
    a = sampler(constant_step, (), logits, 50, 1.0, 7).numpy()
    b = sampler(constant_step, (), logits, 50, 1.0, 7).numpy()
    c = sampler(constant_step, (), logits, 50, 1.0, 8).numpy()
    assert a.shape == (4, 50)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert 2 not in a and set(np.unique(a)) <= {3, 4}
    assert sampler(constant_step, (), logits, 0, 1.0, 7).shape == (4, 0)
    ended = Sampler(end_id=2)(constant_step, (), logits, 50, 0.0, 7).numpy()
    assert ended.shape == (4, 1) and set(ended[:, 0]) == {2}  # greedy ends at once
