"""The models of the synthetic task and `models.gradient_flow`: outputs,
serialisation, the state gradients against a NumPy transcription of BPTT
(Beigy, "Deep learning: Recurrent neural networks", slide 34), the Pascanu et al. (2013) regulariser
against its formula, causality, XLA, mixed precision and MirroredStrategy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import gradient_flow
from models.synthetic import RecurrentNetwork, TransformerNetwork


def tags(cell="elman", units=4, **kwargs):
    return RecurrentNetwork(cell, units, output_size=2, input_vocabulary=3, many_to_many=True,
                            **kwargs)


def bits(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 3, size=shape).astype("int32")


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru", "clockwork"])
def test_unroll_equals_the_recurrent_layer(cell):
    model = tags(cell)
    x = bits((3, 6))
    expected = model(x)
    outputs, states = gradient_flow.unroll(model.rnn.cell, model.features(x))
    np.testing.assert_allclose(model.head(outputs), expected, rtol=1e-6, atol=1e-6)
    assert [tuple(s.shape) for s in states][0] == (3, 6, 4)
    assert len(states) == len(model.rnn.cell.state_size)


@pytest.mark.parametrize("model", [
    RecurrentNetwork("lstm", 4, output_size=1),
    TransformerNetwork(4, output_size=2, input_vocabulary=3, many_to_many=True, heads=2,
                       intermediate_dim=8, num_layers=1),
], ids=["rnn", "transformer"])
def test_saved_model_round_trip(model, tmp_path):
    x = np.random.default_rng(0).random((2, 5, 2)).astype("float32") \
        if model.input_vocabulary == 0 else bits((2, 5))
    y = model(x)
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored(x), y, rtol=1e-6, atol=1e-6)


def test_shapes_many_to_one_and_many_to_many():
    x = np.zeros((3, 7, 2), "float32")
    assert tuple(RecurrentNetwork("gru", 4)(x).shape) == (3, 1)
    assert tuple(tags()(bits((3, 7))).shape) == (3, 7, 2)
    transformer = TransformerNetwork(4, heads=2, intermediate_dim=8, num_layers=1)
    assert tuple(transformer(x).shape) == (3, 1)


def elman_bptt(x, W, U, b, V, c, y):
    """NumPy BPTT of a tanh RNN with a linear read-out of the last state and
    loss (y - out)^2: dL/dh_t = (dL/dh_(t+1) * (1 - h_(t+1)^2)) U^T (Beigy, "Deep learning:
    Recurrent neural networks" slide 34). Returns `[B, T, u]`."""
    batch, time, _ = x.shape
    h = np.zeros((batch, U.shape[0]))
    hs = []
    for t in range(time):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        hs.append(h)
    out = hs[-1] @ V + c
    g = 2.0 * (out - y) @ V.T  # dL/dh_T
    grads = [g]
    for t in range(time - 1, 0, -1):
        g = (g * (1.0 - hs[t] ** 2)) @ U.T
        grads.append(g)
    return np.stack(grads[::-1], axis=1)


def test_state_gradients_equal_numpy_bptt():
    model = RecurrentNetwork("elman", 5, output_size=1)
    rng = np.random.default_rng(1)
    x = rng.random((3, 8, 2)).astype("float32")
    y = rng.random((3, 1)).astype("float32")
    model(x)

    def loss_fn(outputs):
        return tf.reduce_sum((model.head(outputs) - y) ** 2)

    _, _, (grads,) = gradient_flow.state_gradients(model.rnn.cell, model.features(x), loss_fn)
    W, U, b = (w.astype("float64") for w in model.rnn.cell.get_weights())
    V, c = (w.astype("float64") for w in model.readout.get_weights())
    np.testing.assert_allclose(grads, elman_bptt(x.astype("float64"), W, U, b, V, c, y),
                               rtol=1e-4, atol=1e-6)


def elman_penalty(cell, x, states, grads):
    """Pascanu et al. (2013) eq. (9) for h_t = tanh(x_t W + h_(t-1) U + b),
    written out: ||(g_t * (1 - h_t^2)) U^T|| / ||g_t||, with h_t recomputed
    from the constant h_(t-1) so the derivative w.r.t. U is the immediate one."""
    W, U, b = cell.kernel, cell.recurrent_kernel, cell.bias
    previous = tf.concat([tf.zeros_like(states[:, :1]), states[:, :-1]], axis=1)
    h = tf.tanh(tf.einsum("btd,du->btu", x, W) + b + tf.einsum("btv,vu->btu", previous, U))
    pulled = tf.einsum("btu,vu->btv", grads * (1.0 - h ** 2), U)
    ratio = tf.norm(pulled, axis=-1) / (tf.norm(grads, axis=-1) + 1e-7)
    return tf.reduce_mean((ratio - 1.0) ** 2)


def test_flow_penalty_and_its_gradient_equal_the_formula():
    model = RecurrentNetwork("elman", 4, output_size=1)
    rng = np.random.default_rng(2)
    x = tf.constant(rng.random((2, 6, 2)), "float32")
    y = tf.constant(rng.random((2, 1)), "float32")
    model(x)
    cell = model.rnn.cell

    def loss_fn(outputs):
        return tf.reduce_sum((model.head(outputs) - y) ** 2)

    _, (states,), (grads,) = gradient_flow.state_gradients(cell, x, loss_fn)
    with tf.GradientTape(persistent=True) as tape:
        ours = gradient_flow.flow_penalty(cell, x, [states], [grads])
        reference = elman_penalty(cell, x, states, grads)
    np.testing.assert_allclose(ours, reference, rtol=1e-5)
    assert float(ours) > 0.0
    d_ours = tape.gradient(ours, cell.recurrent_kernel)
    d_reference = tape.gradient(reference, cell.recurrent_kernel)
    np.testing.assert_allclose(d_ours, d_reference, rtol=1e-4, atol=1e-7)
    assert tape.gradient(ours, cell.kernel) is None  # inputs are constants (section 3.3)


def test_flow_penalty_is_zero_for_a_norm_preserving_linear_rnn():
    model = RecurrentNetwork("elman", 4, output_size=1,
                             cell_options={"activation": "linear"})
    x = np.random.default_rng(3).random((2, 5, 2)).astype("float32")
    model(x)
    rotation = np.linalg.qr(np.random.default_rng(4).normal(size=(4, 4)))[0]
    model.rnn.cell.recurrent_kernel.assign(rotation.astype("float32"))
    cell, features = model.rnn.cell, model.features(x)
    _, states, grads = gradient_flow.state_gradients(
        cell, features, lambda out: tf.reduce_sum(model.head(out) ** 2))
    # epsilon=0: the default 1e-7 guard alone moves the ratio by about
    # 1e-7 / ||g||, which a small random head makes visible (1e-8 seen).
    penalty = gradient_flow.flow_penalty(cell, features, states, grads, epsilon=0.0)
    assert abs(float(penalty)) < 1e-10


def test_transformer_is_causal():
    model = TransformerNetwork(8, output_size=2, input_vocabulary=3, many_to_many=True,
                               heads=2, intermediate_dim=8, num_layers=2)
    x = bits((2, 9))
    changed = x.copy()
    changed[:, 5:] = (changed[:, 5:] + 1) % 3
    before, after = np.asarray(model(x)), np.asarray(model(changed))
    np.testing.assert_allclose(before[:, :5], after[:, :5], rtol=1e-5, atol=1e-6)
    assert not np.allclose(before[:, 5:], after[:, 5:])


def fit_once(model, x, y, jit_compile=False, learning_rate=1e-2, **kwargs):
    loss = "mse" if model.output_size == 1 else keras.losses.SparseCategoricalCrossentropy(
        from_logits=True)
    model.compile(keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss,
                  jit_compile=jit_compile)
    return model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, **kwargs).history


def test_flow_regulariser_adds_its_weighted_penalty_under_xla():
    x = bits((4, 3))
    y = (np.cumsum(x, axis=1) % 2).astype("int32")
    model = tags("elman", flow_weight=0.5)
    # Learning rate 0: the weights stay, so the eager recomputation sees what training saw.
    history = fit_once(model, x, y, jit_compile=True, learning_rate=0.0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def batch_loss(outputs):
        return loss(y, model.head(outputs))

    penalty = gradient_flow.flow_penalty_of_loss(model.rnn.cell, model.features(x), batch_loss)
    assert history["flow_penalty"][0] == pytest.approx(float(penalty), rel=1e-4)
    expected = float(loss(y, model(x))) + 0.5 * float(penalty)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_mixed_precision():
    keras.config.set_dtype_policy("mixed_float16")
    x = np.random.default_rng(0).random((4, 3, 2)).astype("float32")
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    model = RecurrentNetwork("lstm", 4, flow_weight=0.5)
    assert model(x).dtype == "float32"
    assert np.isfinite(fit_once(model, x, y)["loss"][0])
    transformer = TransformerNetwork(4, heads=2, intermediate_dim=8, num_layers=1)
    assert transformer(x).dtype == "float32"


def test_mirrored_strategy_with_the_regulariser(mirrored):
    strategy = mirrored
    x = bits((8, 3))
    y = (np.cumsum(x, axis=1) % 2).astype("int32")
    with strategy.scope():
        model = tags("elman", flow_weight=1.0)
        history = fit_once(model, x, y)
    assert np.isfinite(history["loss"][0]) and history["flow_penalty"][0] > 0.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="flow_weight"):
        RecurrentNetwork("elman", 4, flow_weight=-1.0)
    with pytest.raises(ValueError, match="Unknown cell"):
        RecurrentNetwork("nope", 4)
    with pytest.raises(ValueError, match="multiple of `heads`"):
        TransformerNetwork(5, heads=2)
