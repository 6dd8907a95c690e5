"""`models.Recurrent` against `keras.layers.RNN`: outputs, states, direction,
masks, statefulness, Bidirectional, XLA, mixed precision, tf.distribute."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import Recurrent, cells
from tests.models.test_cells import CELLS, inputs, randomize

B, T, D, U = 3, 6, 5, 4


def make_cell(name, **extra):
    cls, kwargs, _ = CELLS[name]
    return cls(U, **kwargs, **extra)


def twins(name, **layer_kwargs):
    """A `Recurrent` and a `keras.layers.RNN` over equal cells with equal
    random weights."""
    ours = Recurrent(make_cell(name), **layer_kwargs)
    theirs = keras.layers.RNN(make_cell(name), **layer_kwargs)
    x = inputs(shape=(B, T, D))
    ours(x)
    theirs(x)
    randomize(ours)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def assert_all_close(a, b, tol=1e-5):
    a = a if isinstance(a, (list, tuple)) else [a]
    b = b if isinstance(b, (list, tuple)) else [b]
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(u, "float32"), np.asarray(v, "float32"),
                                   rtol=tol, atol=tol)


def right_padded_mask(lengths=(6, 4, 1)):
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]  # [B, T]


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_equals_keras_rnn(name, go_backwards):
    ours, theirs = twins(name, return_sequences=True, return_state=True,
                         go_backwards=go_backwards)
    x = inputs(seed=5, shape=(B, T, D))
    assert_all_close(ours(x), theirs(x))


@pytest.mark.parametrize("name", sorted(CELLS))
def test_step_projection_equals_sequence_projection(name):
    """input_projection="step" computes the same function, masks included."""
    ours, theirs = twins(name, return_sequences=True, return_state=True)
    stepwise = Recurrent.from_config({**ours.get_config(), "input_projection": "step"})
    x = inputs(seed=12, shape=(B, T, D))
    stepwise(x)
    stepwise.set_weights(ours.get_weights())
    mask = right_padded_mask()
    assert_all_close(stepwise(x, mask=mask), ours(x, mask=mask))


def test_rejects_unknown_projection():
    with pytest.raises(ValueError, match="input_projection"):
        Recurrent(cells.LSTMCell(4), input_projection="fused")


@pytest.mark.parametrize("name", ["lstm", "gru", "clockwork", "jordan"])
def test_right_padded_mask(name):
    """Masked steps carry the state: the final state of a padded sequence is
    the state after its last real step, and outputs match keras.layers.RNN."""
    ours, theirs = twins(name, return_sequences=True, return_state=True)
    x = inputs(seed=6, shape=(B, T, D))
    mask = right_padded_mask()
    got = ours(x, mask=mask)
    assert_all_close(got, theirs(x, mask=mask))
    for b, length in enumerate((6, 4, 1)):
        alone = ours(x[b : b + 1, :length])
        assert_all_close([s[b : b + 1] for s in got[1:]], alone[1:])


def test_mask_from_embedding_propagates():
    """A mask made by `Embedding(mask_zero=True)` reaches the layer."""
    tokens = np.array([[3, 2, 1, 0, 0], [1, 0, 0, 0, 0]])
    embed = keras.layers.Embedding(5, D, mask_zero=True)
    layer = Recurrent(cells.GRUCell(U))
    padded = layer(embed(tokens))
    np.testing.assert_allclose(np.asarray(padded[1]), np.asarray(layer(embed(tokens[1:, :1]))[0]),
                               rtol=1e-6)


def test_stateful_carries_state_across_calls():
    """Two calls on the halves of a sequence equal one call on the whole
    (truncated BPTT, Beigy, "Deep learning: Recurrent neural networks", slides 21-22); reset_state
    starts afresh."""
    x = inputs(seed=7, shape=(B, T, D))
    whole = Recurrent(make_cell("lstm"), return_sequences=True)
    whole(x)
    randomize(whole)
    stateful = Recurrent(make_cell("lstm"), return_sequences=True, stateful=True)
    stateful(x[:, :3])
    stateful.set_weights(whole.get_weights())
    stateful.reset_state()
    halves = np.concatenate([stateful(x[:, :3]), stateful(x[:, 3:])], axis=1)
    assert_all_close(halves, whole(x))
    stateful.reset_state()
    assert_all_close(stateful(x[:, :3]), whole(x)[:, :3])


def test_inside_bidirectional():
    ours, theirs = twins("lstm", return_sequences=True)
    x = inputs(seed=8, shape=(B, T, D))
    mask = right_padded_mask()
    bi_ours = keras.layers.Bidirectional(ours)
    bi_theirs = keras.layers.Bidirectional(theirs)
    bi_ours(x)
    bi_theirs(x)
    bi_theirs.set_weights(bi_ours.get_weights())
    assert isinstance(bi_ours.backward_layer, Recurrent)
    assert_all_close(bi_ours(x, mask=mask), bi_theirs(x, mask=mask))


def test_rejects_foreign_cells():
    with pytest.raises(ValueError, match="keras.layers.RNN"):
        Recurrent(keras.layers.LSTMCell(4))


def _model(cell, jit_compile=False):
    model = keras.Sequential([keras.Input((T, D)), Recurrent(cell), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("name", sorted(CELLS))
def test_xla_compiles_and_matches(name):
    """jit_compile=True (the TPU proxy): forward and backward pass compile in
    one XLA cluster and give the eager outputs."""
    layer = Recurrent(make_cell(name), return_sequences=True)
    x = tf.constant(inputs(seed=9, shape=(B, T, D)))
    expected = layer(x)

    @tf.function(jit_compile=True)
    def forward_backward(x):
        with tf.GradientTape() as tape:
            y = layer(x, training=True)
            loss = tf.reduce_mean(tf.square(y))
        return y, tape.gradient(loss, layer.trainable_variables)

    y, grads = forward_backward(x)
    assert_all_close(y, expected)
    assert all(np.isfinite(np.asarray(g)).all() for g in grads)


def test_xla_model_fit():
    """A compiled Keras model with jit_compile=True trains and predicts."""
    plain = _model(make_cell("peephole_lstm"))
    xla = _model(make_cell("peephole_lstm"), jit_compile=True)
    xla.set_weights(plain.get_weights())
    x = inputs(seed=9, shape=(B, T, D))
    assert_all_close(xla.predict(x, verbose=0), plain.predict(x, verbose=0))
    assert np.isfinite(xla.train_on_batch(x, np.ones((B, 1), "float32")))


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_mixed_precision(policy, name):
    """Computes in 16 bits with float32 variables, close to the float32 result,
    and trains."""
    x = inputs(seed=10, shape=(B, T, D))
    reference = Recurrent(make_cell(name), return_sequences=True)
    expected = np.asarray(reference(x))
    keras.config.set_dtype_policy(policy)
    model = _model(make_cell(name))
    layer = model.layers[0]
    layer.set_weights(reference.get_weights())
    out = layer(x)
    assert out.dtype == policy.split("_")[1]
    assert all(w.dtype == "float32" for w in layer.weights)
    tol = 0.05 if policy == "mixed_bfloat16" else 0.01
    assert_all_close(np.asarray(out, "float32"), expected[:, -1], tol=tol)
    assert np.isfinite(model.train_on_batch(x, np.ones((B, 1), "float32")))


def test_mirrored_strategy_matches_single_device(mirrored):
    """MirroredStrategy over two logical CPUs gives the same loss trajectory
    as one device on the same global batch."""
    x = inputs(seed=11, shape=(8, T, D))
    y = np.random.default_rng(0).normal(size=(8, 1)).astype("float32")

    def train(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = _model(make_cell("lstm"))
        return [float(model.train_on_batch(x, y)) for _ in range(3)]

    assert mirrored.num_replicas_in_sync == 2
    single = train(tf.distribute.get_strategy())
    np.testing.assert_allclose(train(mirrored), single, rtol=1e-4)


def test_fixed_batch_and_variable_length_graph_runs_every_step():
    """A traced graph with a static batch and a dynamic time axis runs all T
    steps (Keras' time-major loop would stop at min(B, T))."""
    layer = Recurrent(cells.LSTMCell(3), return_sequences=True)
    x = np.random.default_rng(0).normal(size=(2, 9, 3)).astype("float32")
    eager = layer(x)
    traced = tf.function(layer, input_signature=[tf.TensorSpec([2, None, 3])])
    np.testing.assert_allclose(traced(x), eager, rtol=1e-5, atol=1e-6)
