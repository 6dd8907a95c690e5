"""The hand-written backward pass of `models.Recurrent` (`models.recurrent_bptt`)
against automatic differentiation of Keras' loop, one option at a time, and
sequences of zero steps for every cell."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import Recurrent, cells
from tests.models.test_cells import CELLS, inputs, randomize

B, T, D, U = 3, 5, 3, 4

#: The cells that state their derivative (`RecurrentCell.step_derivative`).
HOOKED = sorted(
    name for name, (cls, kwargs, _) in CELLS.items()
    if cls(U, **kwargs).handwritten_gradient
)

OPTIONS = {
    "sequences": dict(return_sequences=True, return_state=True),
    "last_output": dict(return_state=True),
    "go_backwards": dict(return_sequences=True, return_state=True, go_backwards=True),
    "mask": dict(return_sequences=True, return_state=True),
    "mask_zero_output": dict(return_sequences=True, return_state=True,
                             zero_output_for_mask=True),
    "dropout": dict(return_sequences=True, return_state=True),
}


def make_cell(name, **extra):
    cls, kwargs, _ = CELLS[name]
    return cls(U, **kwargs, **extra)


def pair(name, cell_kwargs=None, **layer_kwargs):
    """The same layer twice with equal weights: the hand-written gradient, then
    the reference (automatic differentiation)."""
    layers = [Recurrent(make_cell(name, **(cell_kwargs or {})), handwritten_gradient=flag,
                        **layer_kwargs) for flag in (True, False)]
    x = inputs(shape=(B, T, D))
    for layer in layers:
        layer(x)
    randomize(layers[0])
    layers[1].set_weights(layers[0].get_weights())
    return layers


def right_padded_mask(lengths=(5, 3, 1)):
    return tf.constant(np.arange(T)[None, :] < np.asarray(lengths)[:, None])  # [B, T]


def gradients(layer, x, mask=None):
    """Outputs and the gradients of a loss that weighs every output, with
    respect to the weights, the inputs and the initial states."""
    initial = [tf.constant(np.random.default_rng(3).normal(size=(B, s)), layer.compute_dtype)
               for s in layer.cell.state_size]
    with tf.GradientTape() as tape:
        tape.watch([x, *initial])
        outputs = layer(x, initial_state=initial, mask=mask, training=True)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        loss = 0.0
        for i, y in enumerate(outputs):
            y = tf.cast(y, "float32")
            weights = tf.cos(tf.reshape(tf.range(tf.size(y), dtype="float32"), tf.shape(y)) + i)
            loss += tf.reduce_sum(weights * y)
    grads = tape.gradient(loss, [*layer.trainable_variables, x, *initial])
    return outputs, grads


def assert_close(got, expected, tol=1e-5):
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g is not None and e is not None
        np.testing.assert_allclose(np.asarray(g, "float32"), np.asarray(e, "float32"),
                                   rtol=tol, atol=tol)


def test_hooked_cells():
    """The gated cells and Elman state their derivative; the others, and
    activations without a written derivative, use automatic differentiation."""
    assert HOOKED == sorted(["cifg_lstm", "elman", "elman_leaky_relu", "gru",
                             "gru_reset_before", "lstm", "lstm_chrono", "minimal_gru",
                             "peephole_lstm"])
    assert not cells.LSTMCell(U, recurrent_activation="hard_sigmoid").handwritten_gradient

    class Changed(cells.LSTMCell):  # other equations, the inherited derivative
        def step(self, projected, states, training=False, cache=None):
            return super().step(2.0 * projected, states, training, cache)

    class Stated(Changed):  # ... and their own derivative
        step_derivative = cells.LSTMCell.step_derivative

    assert not Changed(U).handwritten_gradient
    assert Stated(U).handwritten_gradient
    layer = Recurrent(cells.LSTMCell(U))
    assert layer.uses_handwritten_gradient(True)
    assert not layer.uses_handwritten_gradient(False)
    assert not Recurrent(cells.LSTMCell(U), handwritten_gradient=False).uses_handwritten_gradient(
        True)
    assert not Recurrent(cells.LSTMCell(U), input_projection="step").uses_handwritten_gradient(
        True)
    assert Recurrent.from_config(
        Recurrent(cells.GRUCell(U), handwritten_gradient=False).get_config()
    ).handwritten_gradient is False


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("name", HOOKED)
def test_gradient_equals_autodiff(name, option):
    cell_kwargs = {"dropout": 0.3, "recurrent_dropout": 0.4, "seed": 7} if option == "dropout" \
        else {}
    ours, reference = pair(name, cell_kwargs, **OPTIONS[option])
    x = tf.constant(inputs(seed=4, shape=(B, T, D)))
    mask = right_padded_mask() if option.startswith("mask") else None
    got_outputs, got = gradients(ours, x, mask)
    expected_outputs, expected = gradients(reference, x, mask)
    assert_close(got_outputs, expected_outputs)
    assert_close(got, expected)


@pytest.mark.parametrize("name", HOOKED)
def test_gradient_equals_autodiff_under_xla(name):
    ours, reference = pair(name, return_sequences=True, return_state=True)
    x = tf.constant(inputs(seed=4, shape=(B, T, D)))
    mask = right_padded_mask()
    compiled = tf.function(lambda x, mask: gradients(ours, x, mask), jit_compile=True)
    got_outputs, got = compiled(x, mask)
    expected_outputs, expected = gradients(reference, x, mask)
    assert_close(got_outputs, expected_outputs)
    assert_close(got, expected)


@pytest.mark.parametrize("name", HOOKED)
def test_gradient_equals_autodiff_mixed_bfloat16(name):
    """To 1e-2 relative (norm of each gradient). The cells with two recurrent
    products in a row (GRU with reset_after=False, minimal GRU) round their
    intermediate gradients in other places than automatic differentiation:
    both gradients are then about 1% from the float32 one (measured up to
    1.4% for ours and 2.2% for the reference) and up to 1.4% from each other,
    so they get 2e-2."""
    tol = 2e-2 if name in ("gru_reset_before", "minimal_gru") else 1e-2
    keras.config.set_dtype_policy("mixed_bfloat16")
    ours, reference = pair(name, return_sequences=True, return_state=True)
    x = tf.constant(inputs(seed=4, shape=(B, T, D)), "bfloat16")
    _, got = gradients(ours, x)
    _, expected = gradients(reference, x)
    for g, e in zip(got, expected, strict=True):
        g, e = np.asarray(tf.cast(g, "float32")), np.asarray(tf.cast(e, "float32"))
        assert np.linalg.norm(g - e) <= tol * np.linalg.norm(e) + 1e-6


@pytest.mark.parametrize("name", HOOKED)
def test_gradient_equals_autodiff_mirrored(name, mirrored):
    """Per-replica gradients inside MirroredStrategy over two logical CPUs."""
    x = tf.constant(inputs(seed=4, shape=(B, T, D)))
    with mirrored.scope():
        ours, reference = pair(name, return_sequences=True, return_state=True)

    @tf.function
    def per_replica(layer):
        return mirrored.run(lambda: gradients(layer, x, right_padded_mask())[1])

    got = per_replica(ours)
    expected = per_replica(reference)
    for g, e in zip(got, expected, strict=True):
        assert_close(mirrored.experimental_local_results(g),
                     mirrored.experimental_local_results(e))


def test_model_trains_like_reference():
    """`fit` steps with the hand-written gradient follow the reference."""
    def model(flag):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((T, D)),
                              Recurrent(cells.PeepholeLSTMCell(U), handwritten_gradient=flag),
                              keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return m

    x, y = inputs(seed=5, shape=(B, T, D)), np.ones((B, 1), "float32")
    ours, reference = model(True), model(False)
    reference.set_weights(ours.get_weights())
    for _ in range(3):
        np.testing.assert_allclose(ours.train_on_batch(x, y), reference.train_on_batch(x, y),
                                   rtol=1e-5)
    assert_close(ours.get_weights(), reference.get_weights())


# ------------------------------------------------------------- zero steps
@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_zero_steps(name, flag):
    """A sequence of zero steps returns the initial states, an empty sequence,
    and zero gradients, for every cell."""
    layer = Recurrent(make_cell(name), return_sequences=True, return_state=True,
                      handwritten_gradient=flag)
    layer(inputs(shape=(B, T, D)))
    randomize(layer)
    x = tf.zeros((B, 0, D))
    initial = [tf.ones((B, s)) for s in layer.cell.state_size]
    with tf.GradientTape() as tape:
        tape.watch(initial)
        sequence, *states = layer(x, initial_state=initial, training=True)
        loss = tf.reduce_sum(sequence) + sum(tf.reduce_sum(s) for s in states)
    assert sequence.shape == (B, 0, layer.cell.output_size)
    assert_close(states, initial)
    grads = tape.gradient(loss, [*layer.trainable_variables, *initial])
    assert_close(grads[: len(layer.trainable_variables)],
                 [np.zeros(w.shape) for w in layer.trainable_variables])
    assert_close(grads[len(layer.trainable_variables):], [np.ones((B, s))
                                                          for s in layer.cell.state_size])
    last = Recurrent(make_cell(name), handwritten_gradient=flag)(x)
    assert_close([last], [np.zeros((B, layer.cell.output_size))])


@pytest.mark.parametrize("name", ["lstm", "gru", "jordan", "clockwork"])
def test_zero_steps_of_a_length_known_only_at_run_time(name):
    """A traced graph with a dynamic time axis takes 0 steps and T steps."""
    layer = Recurrent(make_cell(name), return_sequences=True, return_state=True)
    layer(inputs(shape=(B, T, D)))

    @tf.function(input_signature=[tf.TensorSpec([B, None, D])])
    def run(x):
        with tf.GradientTape() as tape:
            sequence, *states = layer(x, training=True)
            loss = tf.reduce_sum(sequence) + sum(tf.reduce_sum(s) for s in states)
        return sequence, states, tape.gradient(loss, layer.trainable_variables)

    sequence, states, grads = run(tf.zeros((B, 0, D)))
    assert sequence.shape == (B, 0, layer.cell.output_size)
    assert_close(states, [np.zeros((B, s)) for s in layer.cell.state_size])
    assert_close(grads, [np.zeros(w.shape) for w in layer.trainable_variables])
    x = inputs(seed=6, shape=(B, T, D))
    sequence, states, _ = run(x)
    expected, *expected_states = layer(x)
    assert_close([sequence, *states], [expected, *expected_states])


def test_zero_steps_in_a_model():
    model = keras.Sequential([keras.Input((None, D)), Recurrent(cells.LSTMCell(U)),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    assert model.predict(np.zeros((B, 0, D), "float32"), verbose=0).shape == (B, 1)
    assert np.isfinite(model.train_on_batch(np.zeros((B, 0, D), "float32"),
                                            np.ones((B, 1), "float32")))
