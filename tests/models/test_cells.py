"""Numerical and contract tests of `models.cells`.

LSTM, GRU and Elman are checked against the Keras layers they must equal
given the same weights; every other cell against a NumPy transcription of
its paper (`tests/models/reference.py`).
"""

import keras
import numpy as np
import pytest

from models import Recurrent, cells
from tests.layer_test import run_layer_test
from tests.models import reference

B, T, D, U = 3, 4, 5, 4


def inputs(seed=0, shape=(B, T, D)):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def randomize(layer, seed=1, scale=0.5):
    """Gives every weight of a built layer random values (biases included)."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=scale, size=w.shape) for w in layer.get_weights()])


# Every cell with its constructor arguments and (trainable, non-trainable)
# weight counts, for the shared layer-test helper.
CELLS = {
    "elman": (cells.ElmanCell, {}, (3, 0)),
    "elman_leaky_relu": (cells.ElmanCell, {"leak": 0.3, "activation": "relu"}, (3, 0)),
    "jordan": (cells.JordanCell, {"output_units": 3}, (5, 0)),
    "gru": (cells.GRUCell, {}, (3, 0)),
    "gru_reset_before": (cells.GRUCell, {"reset_after": False}, (3, 0)),
    "minimal_gru": (cells.MinimalGRUCell, {}, (3, 0)),
    "lstm": (cells.LSTMCell, {}, (3, 0)),
    "lstm_chrono": (cells.LSTMCell, {"chrono_init": 20}, (3, 0)),
    "peephole_lstm": (cells.PeepholeLSTMCell, {}, (6, 0)),
    "cifg_lstm": (cells.CIFGLSTMCell, {}, (3, 0)),
    "esn": (cells.ESNCell, {"connectivity": 0.5, "leak": 0.5, "seed": 3}, (0, 3)),
    "clockwork": (cells.ClockworkCell, {"periods": (1, 2)}, (3, 0)),
}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_layer_contract(name):
    cls, kwargs, (trainable, frozen) = CELLS[name]
    units = kwargs.get("output_units", U)
    run_layer_test(
        lambda: Recurrent(cls(U, dropout=0.1, recurrent_dropout=0.1, **kwargs),
                          return_sequences=True),
        input_shape=(B, T, D),
        expected_output_shape=(B, T, units),
        expected_trainable_weights=trainable,
        expected_non_trainable_weights=frozen,
    )


@pytest.mark.parametrize("name", sorted(CELLS))
def test_cell_runs_in_keras_rnn(name):
    """The Keras cell contract: the cell alone runs in `keras.layers.RNN`."""
    cls, kwargs, _ = CELLS[name]
    cell = cls(U, **kwargs)
    layer = keras.layers.RNN(cell, return_state=True)
    output, *states = layer(inputs())
    assert output.shape == (B, cell.output_size)
    assert [s.shape[-1] for s in states] == list(cell.state_size)


# --------------------------------------------------------- equal to Keras
KERAS_TWINS = [
    (cells.LSTMCell(U), keras.layers.LSTM(U, return_sequences=True, return_state=True)),
    (cells.GRUCell(U), keras.layers.GRU(U, return_sequences=True, return_state=True)),
    (
        cells.GRUCell(U, reset_after=False),
        keras.layers.GRU(U, reset_after=False, return_sequences=True, return_state=True),
    ),
    (cells.ElmanCell(U), keras.layers.SimpleRNN(U, return_sequences=True, return_state=True)),
    (
        cells.ElmanCell(U, activation="relu"),
        keras.layers.SimpleRNN(U, activation="relu", return_sequences=True, return_state=True),
    ),
]


@pytest.mark.parametrize("cell, twin", KERAS_TWINS, ids=lambda v: getattr(v, "name", ""))
def test_equals_keras_layer(cell, twin):
    x = inputs()
    twin(x)
    randomize(twin)
    ours = Recurrent(cell, return_sequences=True, return_state=True)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in twin.get_weights()]
    ours.set_weights(twin.get_weights())
    for a, b in zip(ours(x), twin(x), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_lstm_initial_biases_match_keras():
    """unit_forget_bias: forget block at 1, the rest at 0, as Keras starts."""
    ours, theirs = cells.LSTMCell(U), keras.layers.LSTMCell(U)
    ours.build((None, D))
    theirs.build((None, D))
    np.testing.assert_array_equal(np.asarray(ours.bias), np.asarray(theirs.bias))


def test_lstm_chrono_init():
    """Tallec and Ollivier (2018) eq. (16): b_f = log U[1, T-1], b_i = -b_f."""
    cell = cells.LSTMCell(64, chrono_init=100, seed=0)
    cell.build((None, D))
    b_i, b_f, b_c, b_o = np.split(np.asarray(cell.bias), 4)
    assert 0.0 <= b_f.min() and b_f.max() <= np.log(99.0)
    assert b_f.std() > 0.5  # spread over time scales, not a constant
    np.testing.assert_allclose(b_i, -b_f)
    np.testing.assert_array_equal(b_c, 0.0)
    np.testing.assert_array_equal(b_o, 0.0)


# ----------------------------------------------- against the paper equations
def test_peephole_matches_tensorflow_addons_value():
    """TensorFlow Addons' PeepholeLSTMCell test: one step from zero state,
    kernel and peepholes all ones, unit forget bias: 0.417551."""
    x = np.eye(4, dtype="float32")[[1, 2, 3]]
    x = np.concatenate([x, np.zeros((1, 4), "float32")])  # one_hot([1, 2, 3, 4], 4)
    cell = cells.PeepholeLSTMCell(5, kernel_initializer="ones", recurrent_initializer="ones")
    h, _ = cell(x, cell.get_initial_state(batch_size=4))
    expected = np.array([[0.417551] * 5] * 3 + [[0.0] * 5])
    np.testing.assert_allclose(np.asarray(h), expected, atol=1e-6)


NUMPY_TWINS = {
    "elman_leaky": (cells.ElmanCell, {"leak": 0.3}, reference.elman, {"leak": 0.3}),
    "jordan": (cells.JordanCell, {"output_units": 3}, reference.jordan, {}),
    "peephole_lstm": (cells.PeepholeLSTMCell, {}, reference.peephole_lstm, {}),
    "cifg_lstm": (cells.CIFGLSTMCell, {}, reference.cifg_lstm, {}),
    "minimal_gru": (cells.MinimalGRUCell, {}, reference.minimal_gru, {}),
    "lstm": (cells.LSTMCell, {}, reference.lstm, {}),
    "esn": (cells.ESNCell, {"leak": 0.4, "connectivity": 0.5}, reference.esn, {"leak": 0.4}),
}


@pytest.mark.parametrize("name", sorted(NUMPY_TWINS))
def test_matches_numpy_transcription(name):
    cls, kwargs, step, step_kwargs = NUMPY_TWINS[name]
    x = inputs(shape=(B, 6, D))
    layer = Recurrent(cls(U, **kwargs), return_sequences=True, return_state=True)
    layer(x)
    randomize(layer)
    outputs, *states = layer(x)
    weights = [w.astype("float64") for w in layer.get_weights()]
    zeros = [np.zeros((B, s)) for s in layer.cell.state_size]
    expected, expected_states = reference.run(step, weights, x.astype("float64"), zeros,
                                              **step_kwargs)
    np.testing.assert_allclose(np.asarray(outputs), expected, rtol=1e-5, atol=1e-5)
    for s, e in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(np.asarray(s), e, rtol=1e-5, atol=1e-5)


def test_clockwork_matches_numpy_transcription():
    periods = (1, 2, 4)
    x = inputs(shape=(B, 9, D))
    layer = Recurrent(cells.ClockworkCell(6, periods=periods), return_sequences=True,
                      return_state=True)
    layer(x)
    randomize(layer)
    outputs, h, t = layer(x)
    weights = [w.astype("float64") for w in layer.get_weights()]
    expected, (h_ref, t_ref) = reference.run(
        reference.clockwork, weights, x.astype("float64"),
        [np.zeros((B, 6)), np.zeros((B, 1))], periods=periods,
    )
    np.testing.assert_allclose(np.asarray(outputs), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(t), t_ref % 4)  # counter kept modulo lcm


def test_clockwork_slow_modules_hold_and_ignore_fast_ones():
    """A module with period 4 changes only at t = 4, 8; its units never read
    the faster modules (block-triangular recurrent matrix)."""
    x = inputs(shape=(1, 8, D))
    layer = Recurrent(cells.ClockworkCell(4, periods=(1, 4)), return_sequences=True)
    y = np.asarray(layer(x))
    slow = y[0, :, 2:]  # the period-4 module
    changed = [t + 1 for t in range(8) if not np.allclose(slow[t], slow[t - 1] if t else 0)]
    assert changed == [4, 8]
    assert not np.asarray(layer.cell.connectivity)[:2, 2:].any()  # fast -> slow cut


def test_esn_reservoir():
    """Nothing trains; the recurrent matrix has the requested spectral radius
    and sparsity."""
    cell = cells.ESNCell(200, spectral_radius=0.8, connectivity=0.1, seed=0)
    Recurrent(cell)(inputs())
    assert cell.trainable_weights == []
    w = np.asarray(cell.recurrent_kernel)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(w)).max(), 0.8, rtol=1e-5)
    assert 0.08 < (w != 0).mean() < 0.12


def test_irnn_initialisation():
    """recurrent_initializer="identity" with relu: the IRNN of Le et al. (2015)."""
    cell = cells.ElmanCell(U, activation="relu", recurrent_initializer="identity")
    cell.build((None, D))
    np.testing.assert_array_equal(np.asarray(cell.recurrent_kernel), np.eye(U))


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("runner", [Recurrent, keras.layers.RNN])
def test_one_input_dropout_mask_per_sequence(runner):
    """With identity input weights and no recurrence, each step's output is the
    dropout mask itself: it must be the same at every step of a sequence and
    differ between sequences and between calls."""
    cell = cells.ElmanCell(6, activation="linear", dropout=0.5, seed=1,
                           kernel_initializer="identity", recurrent_initializer="zeros")
    layer = runner(cell, return_sequences=True)
    x = np.ones((8, 5, 6), "float32")
    y1 = np.asarray(layer(x, training=True))
    y2 = np.asarray(layer(x, training=True))
    assert set(np.unique(y1)) == {0.0, 2.0}  # inverted dropout at rate 0.5
    np.testing.assert_array_equal(y1, np.repeat(y1[:, :1], 5, axis=1))
    assert not np.array_equal(y1[0], y1[1]) or not np.array_equal(y1[1], y1[2])
    assert not np.array_equal(y1, y2)
    np.testing.assert_array_equal(np.asarray(layer(x)), 1.0)  # inference: no dropout


def test_recurrent_dropout_touches_only_the_recurrent_product():
    """Recurrent dropout masks h(t-1) on its way into U; the carried state of
    a gate-free leaky unit is not masked."""
    cell = cells.ElmanCell(4, activation="linear", leak=0.5, recurrent_dropout=0.9, seed=0,
                           kernel_initializer="zeros", recurrent_initializer="zeros")
    layer = Recurrent(cell, return_sequences=True)
    h0 = np.ones((2, 4), "float32")
    y = np.asarray(layer(np.zeros((2, 3, 1), "float32"), initial_state=[h0], training=True))
    np.testing.assert_allclose(y[:, -1], 0.5**3)


# ------------------------------------------------------------- bad values
@pytest.mark.parametrize(
    "make",
    [
        lambda: cells.LSTMCell(0),
        lambda: cells.GRUCell(4, dropout=1.5),
        lambda: cells.ElmanCell(4, leak=0.0),
        lambda: cells.LSTMCell(4, chrono_init=1),
        lambda: cells.ClockworkCell(6, periods=(1, 2, 4, 8)),
        lambda: cells.ClockworkCell(4, periods=(2, 1)),
        lambda: cells.ESNCell(4, spectral_radius=0),
        lambda: cells.JordanCell(4, output_units=-1),
    ],
)
def test_bad_arguments_are_rejected(make):
    with pytest.raises(ValueError, match="Received"):
        make()
