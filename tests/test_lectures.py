"""The lectures' worked examples, rebuilt with the rnnlab cells.

Each test reproduces one example of the lecture notes in `shared/seeds/`
exactly: the hand-built networks of Grosse and Ba, "CSC421/2516 Lecture 13: Recurrent Neural
Networks" (Grosse and Ba, CSC421/2516 Lecture 13) with their weights set by hand, and the
backpropagation-through- time equations of Beigy, "Deep learning: Recurrent neural networks" (Beigy,
"Deep learning | Training recurrent neural networks") written out in NumPy and checked against
TensorFlow's autodiff.
"""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from models import Recurrent, cells

# Both ways of running a cell over a sequence: the plain Keras loop and the
# rnnlab layer that projects the inputs of all steps at once.
SEQUENCE_LAYERS = {
    "keras.layers.RNN": keras.layers.RNN,
    "models.Recurrent": Recurrent,
}


def step_function(z):
    """Binary threshold unit of Grosse and Ba, "CSC421/2516 Lecture 13:
    Recurrent Neural Networks", slide 9: 1 if z > 0 else 0."""
    return ops.cast(z > 0, z.dtype)


def all_bit_strings(length):
    """Every binary string of `length` bits, `[2**length, length]` float32."""
    return np.array(list(itertools.product([0, 1], repeat=length)), dtype="float32")


# --------------------------------------------------------------------------
# Seed 002 slide 6: the RNN that sums its inputs.
# --------------------------------------------------------------------------


def summing_network(layer_cls, dtype="float32"):
    """Seed 002 slide 6: linear hidden unit (input w=1, recurrent w=1, no
    bias) and a linear output unit (w=1), returning every step's output and
    the hidden-unit sequence."""
    cell = cells.ElmanCell(1, activation="linear", dtype=dtype)
    rnn = layer_cls(cell, return_sequences=True, dtype=dtype)
    readout = keras.layers.Dense(1, dtype=dtype)
    rnn.build((None, None, 1))
    readout.build((None, 1))
    rnn.set_weights([np.ones((1, 1)), np.ones((1, 1)), np.zeros((1,))])
    readout.set_weights([np.ones((1, 1)), np.zeros((1,))])

    def run(x):
        hidden = rnn(x)
        return ops.convert_to_numpy(readout(hidden)), ops.convert_to_numpy(hidden)

    return run


@pytest.mark.parametrize("layer_cls", SEQUENCE_LAYERS.values(), ids=SEQUENCE_LAYERS.keys())
def test_summing_rnn_slide_example(layer_cls):
    """Seed 002 slide 6, "This one sums its inputs": inputs 2, -0.5, 1, 1 at
    T=1..4 give hidden and output values 2, 1.5, 2.5, 3.5."""
    run = summing_network(layer_cls)
    x = np.array([[[2.0], [-0.5], [1.0], [1.0]]], dtype="float32")
    output, hidden = run(x)
    expected = np.array([2.0, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(hidden[0, :, 0], expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(output[0, :, 0], expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("layer_cls", SEQUENCE_LAYERS.values(), ids=SEQUENCE_LAYERS.keys())
def test_summing_rnn_is_running_sum(layer_cls):
    """Seed 002 slide 6 on random sequences: the output at step t is
    x(1) + ... + x(t), i.e. np.cumsum (float64, so exact up to rounding)."""
    run = summing_network(layer_cls, dtype="float64")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(8, 25, 1))
    output, _ = run(x)
    np.testing.assert_allclose(output, np.cumsum(x, axis=1), rtol=1e-12, atol=1e-12)


def test_comparison_rnn_slide_example():
    """Seed 002 slide 7, "determines if the total values of the first or
    second input are larger": a linear hidden unit with input weights
    w=1 and w=-1 and recurrent w=1, and a logistic output unit with w=5.
    Inputs (2, -2), (0, 3.5), (1, 2.2) give hidden 4, 0.5, -0.7 and outputs
    1.00, 0.92, 0.03 (two decimals, as on the slide)."""
    cell = cells.ElmanCell(1, activation="linear")
    rnn = Recurrent(cell, return_sequences=True)
    readout = keras.layers.Dense(1, activation="sigmoid")
    rnn.build((None, None, 2))
    readout.build((None, 1))
    rnn.set_weights([np.array([[1.0], [-1.0]]), np.ones((1, 1)), np.zeros((1,))])
    readout.set_weights([np.full((1, 1), 5.0), np.zeros((1,))])

    x = np.array([[[2.0, -2.0], [0.0, 3.5], [1.0, 2.2]]], dtype="float32")
    hidden = rnn(x)
    output = ops.convert_to_numpy(readout(hidden))[0, :, 0]
    np.testing.assert_allclose(ops.convert_to_numpy(hidden)[0, :, 0], [4.0, 0.5, -0.7], atol=1e-6)
    np.testing.assert_allclose(np.round(output, 2), [1.00, 0.92, 0.03])


# --------------------------------------------------------------------------
# Seed 002 slides 8-13: the hand-built parity RNN.
# --------------------------------------------------------------------------

# Slide 12: h1 = AND(x(t), y(t-1)), h2 = OR(x(t), y(t-1)); slide 11:
# y(t) = XOR = h2 AND NOT h1 = step(h2 - h1 - 0.5).
PARITY_WEIGHTS = [
    np.array([[1.0, 1.0]]),  # kernel [d=1, u=2]: x(t) -> h1, h2
    np.array([[1.0, 1.0]]),  # recurrent_kernel [o=1, u=2]: y(t-1) -> h1, h2
    np.array([-1.5, -0.5]),  # bias [u=2]: AND needs both inputs, OR either
    np.array([[-1.0], [1.0]]),  # output_kernel [u=2, o=1]: h2 - h1
    np.array([-0.5]),  # output_bias [o=1]
]


def parity_cell():
    """Seed 002 slides 9-12 as a `JordanCell`: two binary threshold hidden
    units fed by x(t) and by the previous *output* y(t-1), and a binary
    threshold output unit; the weights set by hand."""
    cell = cells.JordanCell(
        2, output_units=1, activation=step_function, output_activation=step_function
    )
    cell.build((None, 1))
    cell.set_weights(PARITY_WEIGHTS)
    return cell


def hidden_units(cell, x, y_prev):
    """The two hidden units of the parity cell from its own weights:
    ``step(x W + y(t-1) U + b)``."""
    z = x @ ops.convert_to_numpy(cell.kernel) + y_prev @ ops.convert_to_numpy(cell.recurrent_kernel)
    return (z + ops.convert_to_numpy(cell.bias) > 0).astype("float32")


def test_parity_truth_tables():
    """Seed 002 slides 11-12, one step of the cell (Keras cell contract
    ``call(inputs, states) -> (output, [new_state])``) for every row of the
    tables:

        y(t-1) x(t) | h1 h2 | y(t)
          0     0   |  0  0 |  0
          0     1   |  0  1 |  1
          1     0   |  0  1 |  1
          1     1   |  1  1 |  0
    """
    cell = parity_cell()
    y_prev = np.array([[0.0], [0.0], [1.0], [1.0]], dtype="float32")
    x = np.array([[0.0], [1.0], [0.0], [1.0]], dtype="float32")
    output, [state] = cell(x, [y_prev])
    np.testing.assert_array_equal(ops.convert_to_numpy(output)[:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(state), ops.convert_to_numpy(output))
    np.testing.assert_array_equal(hidden_units(cell, x, y_prev), [[0, 0], [0, 1], [0, 1], [1, 1]])


@pytest.mark.parametrize("layer_cls", SEQUENCE_LAYERS.values(), ids=SEQUENCE_LAYERS.keys())
def test_parity_rnn_all_bit_strings(layer_cls):
    """Seed 002 slides 8-13: run over every one of the 1024 bit strings of
    length 10, the output at step t is the parity of x(1..t), i.e.
    ``cumsum(bits) % 2``. The zero initial state is slide 13's "behave as
    if the previous output was 0"; slide 8's example string
    0 1 0 1 1 0 1 0 1 1 is among them."""
    bits = all_bit_strings(10)
    rnn = layer_cls(parity_cell(), return_sequences=True)
    y = ops.convert_to_numpy(rnn(bits[..., None]))[..., 0]
    assert y.shape == (1024, 10)
    np.testing.assert_array_equal(y, np.cumsum(bits, axis=1) % 2)

    slide_8 = np.array([0, 1, 0, 1, 1, 0, 1, 0, 1, 1], dtype="float32")
    row = int("".join(str(int(b)) for b in slide_8), 2)  # itertools order
    np.testing.assert_array_equal(bits[row], slide_8)
    np.testing.assert_array_equal(y[row], [0, 1, 1, 0, 1, 1, 0, 0, 1, 0])


class FirstStepParityCell(keras.layers.Layer):
    """Seed 002 slide 13 taken literally: the hidden units have a separate
    set of biases for the first time step ("there is typically a separate
    set of biases for the first time step", slide 5), chosen so that the
    network behaves as if y(0) = 0 whatever the initial state holds:

        x(1) | h1(1) h2(1)
          0  |   0     0
          1  |   0     1

    The state is ``[y(t-1), started]``; `started` is 0 before the first
    step and 1 afterwards, and selects the first-step biases.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state_size = [1, 1]
        self.output_size = 1

    def build(self, input_shape):
        def constant(name, value):
            weight = self.add_weight(
                shape=np.shape(value), name=name, initializer="zeros", trainable=False
            )
            weight.assign(value)
            return weight

        self.kernel = constant("kernel", PARITY_WEIGHTS[0])
        self.recurrent_kernel = constant("recurrent_kernel", PARITY_WEIGHTS[1])
        self.bias = constant("bias", PARITY_WEIGHTS[2])
        # Slide 13: h1(1) = 0 always, h2(1) = x(1); y(0) is ignored.
        self.first_bias = constant("first_bias", np.array([-1.5, -0.5]))
        self.output_kernel = constant("output_kernel", PARITY_WEIGHTS[3])
        self.output_bias = constant("output_bias", PARITY_WEIGHTS[4])

    def call(self, inputs, states):
        y_prev, started = states
        later = ops.matmul(y_prev, self.recurrent_kernel) + self.bias
        first = ops.zeros_like(later) + self.first_bias
        z = ops.matmul(inputs, self.kernel) + ops.where(started > 0, later, first)
        h = step_function(z)
        y = step_function(ops.matmul(h, self.output_kernel) + self.output_bias)
        return y, [y, ops.ones_like(started)]


def test_parity_first_step_biases():
    """Seed 002 slide 13: with separate first-step biases the parity RNN
    needs no y(0); even an initial state holding y(0) = 1 gives the parity
    of all 1024 strings. The `JordanCell` version, which instead relies on
    the initial state being 0, flips every output when handed y(0) = 1,
    which shows the first-step biases are doing the work."""
    bits = all_bit_strings(10)
    x = bits[..., None]
    parity = np.cumsum(bits, axis=1) % 2
    ones = np.ones((len(bits), 1), dtype="float32")
    zeros = np.zeros((len(bits), 1), dtype="float32")

    literal = keras.layers.RNN(FirstStepParityCell(), return_sequences=True)
    for y0 in (zeros, ones):
        y = ops.convert_to_numpy(literal(x, initial_state=[y0, zeros]))[..., 0]
        np.testing.assert_array_equal(y, parity)

    jordan = keras.layers.RNN(parity_cell(), return_sequences=True)
    y = ops.convert_to_numpy(jordan(x, initial_state=[ones]))[..., 0]
    np.testing.assert_array_equal(y, 1 - parity)


# --------------------------------------------------------------------------
# Seed 003 slides 13-20: backpropagation through time.
# --------------------------------------------------------------------------


def softmax(o):
    """Seed 003 slide 13: ``yhat = softmax(o)`` along the last axis."""
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rnn_forward(x, U, W, b, V, c):
    """Seed 003 slide 13, forward phase, for a batch `x [B, T, d]`:

        h(t) = tanh(W^T h(t-1) + U^T x(t) + b),   h(0) = 0
        o(t) = V^T h(t) + c,   yhat(t) = softmax(o(t))

    Written for row vectors, ``W^T h`` is ``h @ W``: the slide's U [d, u],
    W [u, u] and V [u, C] are exactly the Keras `kernel`,
    `recurrent_kernel` and Dense `kernel`. Returns h(0..T) `[B, T+1, u]`
    and o(1..T) `[B, T, C]`.
    """
    batch, steps, _ = x.shape
    h = np.zeros((batch, steps + 1, W.shape[0]))
    for t in range(steps):
        h[:, t + 1] = np.tanh(h[:, t] @ W + x[:, t] @ U + b)
    o = h[:, 1:] @ V + c
    return h, o


def cross_entropy(o, y):
    """Seed 003 slides 11 and 15: ``L = sum_t L(t)``,
    ``L(t) = -sum_k y_k(t) log yhat_k(t)``, summed over the batch too."""
    return -np.sum(y * np.log(softmax(o)))


def rnn_backward(x, y, U, W, b, V, c, transpose_w=False):
    """Seed 003 slides 17-19, backward phase. In the convention of slide 13
    (``h(t+1) = tanh(W^T h(t) + ...)``, ``o = V^T h + c``):

        grad_o(t) = yhat(t) - y(t)                                (slide 17)
        grad_h(T) = V grad_o(T)                                   (slide 18)
        grad_h(t) = W diag(1 - h(t+1)^2) grad_h(t+1) + V grad_o(t)
        grad_c = sum_t grad_o(t)                                  (slide 19)
        grad_b = sum_t diag(1 - h(t)^2) grad_h(t)
        grad_V = sum_t h(t) grad_o(t)^T
        grad_W = sum_t h(t-1) (diag(1 - h(t)^2) grad_h(t))^T
        grad_U = sum_t x(t) (diag(1 - h(t)^2) grad_h(t))^T

    Slide 18 prints W^T and V^T, the transposes that belong to the book's
    ``h = tanh(W h + U x)`` convention; with slide 13's ``W^T h`` they cancel.
    `transpose_w=True` uses the printed W^T instead, to show the test sees
    the difference. Sums run over the batch as well as over t.
    """
    h, o = rnn_forward(x, U, W, b, V, c)
    grad_o = softmax(o) - y  # [B, T, C]
    W_back = W.T if transpose_w else W
    steps = x.shape[1]
    grad_h = np.zeros_like(h[:, 1:])  # grad_h[:, t] is grad of h(t+1)
    delta = np.zeros_like(grad_h)  # diag(1 - h^2) grad_h: grad of the pre-activation
    for t in reversed(range(steps)):
        grad_h[:, t] = grad_o[:, t] @ V.T  # V grad_o(t) for row vectors
        if t + 1 < steps:
            grad_h[:, t] += delta[:, t + 1] @ W_back.T  # W diag(1-h^2) grad_h(t+1)
        delta[:, t] = (1.0 - h[:, t + 1] ** 2) * grad_h[:, t]
    return {
        "kernel": np.einsum("btd,btu->du", x, delta),  # grad_U
        "recurrent_kernel": np.einsum("bti,btj->ij", h[:, :-1], delta),  # grad_W
        "bias": delta.sum(axis=(0, 1)),  # grad_b
        "output_kernel": np.einsum("btu,btc->uc", h[:, 1:], grad_o),  # grad_V
        "output_bias": grad_o.sum(axis=(0, 1)),  # grad_c
    }


@pytest.fixture(scope="module")
def bptt_problem():
    """Batch 3, T 6, d 4, u 5, C 3; random float64 weights and one-hot
    targets, fixed seed."""
    rng = np.random.default_rng(13)
    batch, steps, d, u, classes = 3, 6, 4, 5, 3
    return {
        "x": rng.normal(size=(batch, steps, d)),
        "y": np.eye(classes)[rng.integers(classes, size=(batch, steps))],
        "U": rng.normal(scale=0.5, size=(d, u)),
        "W": rng.normal(scale=0.5, size=(u, u)),
        "b": rng.normal(scale=0.1, size=(u,)),
        "V": rng.normal(scale=0.5, size=(u, classes)),
        "c": rng.normal(scale=0.1, size=(classes,)),
    }


def keras_loss_and_gradients(layer_cls, p):
    """The same network in Keras (float64): an `ElmanCell` run with
    `return_sequences=True`, a `Dense(C)` read-out and the summed softmax
    cross-entropy; returns the loss and `tf.GradientTape` gradients."""
    rnn = layer_cls(
        cells.ElmanCell(p["W"].shape[0], dtype="float64"), return_sequences=True, dtype="float64"
    )
    readout = keras.layers.Dense(p["V"].shape[1], dtype="float64")
    rnn.build((None, None, p["U"].shape[0]))
    readout.build((None, p["V"].shape[0]))
    rnn.set_weights([p["U"], p["W"], p["b"]])
    readout.set_weights([p["V"], p["c"]])

    x = tf.constant(p["x"], dtype=tf.float64)
    with tf.GradientTape() as tape:
        logits = readout(rnn(x))
        loss = tf.reduce_sum(
            keras.losses.categorical_crossentropy(p["y"], logits, from_logits=True)
        )
    cell = rnn.cell
    variables = {
        "kernel": cell.kernel,
        "recurrent_kernel": cell.recurrent_kernel,
        "bias": cell.bias,
        "output_kernel": readout.kernel,
        "output_bias": readout.bias,
    }
    grads = tape.gradient(loss, list(variables.values()))
    assert all(g is not None and g.dtype == tf.float64 for g in grads)
    return float(loss), {k: g.numpy() for k, g in zip(variables, grads, strict=True)}


@pytest.mark.parametrize("layer_cls", SEQUENCE_LAYERS.values(), ids=SEQUENCE_LAYERS.keys())
def test_bptt_gradients_match_autodiff(layer_cls, bptt_problem):
    """Seed 003 slides 13-20: the NumPy forward pass (slide 13) gives the
    Keras loss, and the hand-written backward pass (slides 17-19) gives the
    `tf.GradientTape` gradients of the cell's kernel (U), recurrent_kernel
    (W) and bias (b) and of the Dense kernel (V) and bias (c), to 1e-10 in
    float64 (the gradients are O(1))."""
    p = bptt_problem
    loss, tape_grads = keras_loss_and_gradients(layer_cls, p)
    _, o = rnn_forward(p["x"], p["U"], p["W"], p["b"], p["V"], p["c"])
    np.testing.assert_allclose(loss, cross_entropy(o, p["y"]), rtol=1e-12)

    numpy_grads = rnn_backward(p["x"], p["y"], p["U"], p["W"], p["b"], p["V"], p["c"])
    for name, grad in numpy_grads.items():
        assert np.abs(grad).max() > 1e-2, name  # a real signal, not all zeros
        np.testing.assert_allclose(grad, tape_grads[name], rtol=0, atol=1e-10, err_msg=name)


def test_bptt_check_is_sensitive(bptt_problem):
    """The comparison above can fail: the slide-18 recursion with W^T as
    printed (instead of W under slide 13's convention) changes the
    gradients of U, W and b, and Keras disagrees with it."""
    p = bptt_problem
    _, tape_grads = keras_loss_and_gradients(Recurrent, p)
    wrong = rnn_backward(p["x"], p["y"], p["U"], p["W"], p["b"], p["V"], p["c"], transpose_w=True)
    for name in ("kernel", "recurrent_kernel", "bias"):
        assert np.abs(wrong[name] - tape_grads[name]).max() > 1e-3, name
    # The output layer's gradients do not go through W and still agree.
    for name in ("output_kernel", "output_bias"):
        np.testing.assert_allclose(wrong[name], tape_grads[name], atol=1e-10)
