"""`Forecaster`: the shared layer checks, equality with a Keras LSTM + Dense
reference, the linear term against NumPy, XLA, mixed precision and
MirroredStrategy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.forecaster import Forecaster
from tests.layer_test import run_layer_test

B, T, H, U = 3, 6, 4, 5
X = np.random.default_rng(0).normal(size=(B, T, 1)).astype("float32")


@pytest.mark.parametrize("kwargs, weights", [
    ({"cell": "lstm"}, 3 + 2),
    ({"cell": "gru", "layers": 2, "dropout": 0.1}, 2 * 3 + 2),
    ({"cell": "elman", "linear_window": 3, "relative": True}, 3 + 2 + 2),
    ({"cell": "elman", "linear_window": 2, "members": 3}, 3 * (3 + 2 + 2)),
])
def test_layer_checks(kwargs, weights):
    run_layer_test(lambda: Forecaster(H, units=U, **kwargs), (B, T, 1), (B, H), weights)


def test_equals_keras_lstm_and_dense():
    model = Forecaster(H, cell="lstm", units=U)
    reference = keras.Sequential([keras.Input((T, 1)), keras.layers.LSTM(U),
                                  keras.layers.Dense(H)])
    model(X)
    reference.set_weights(model.get_weights())  # LSTM kernel, recurrent, bias; Dense
    np.testing.assert_allclose(model(X), reference(X), rtol=1e-5, atol=1e-6)


def test_linear_term_is_an_autoregression_of_the_last_inputs():
    """With the recurrent read-out zeroed, the output is ``x[-L:] A + c``."""
    model = Forecaster(H, units=U, linear_window=3)
    model(X)
    model.readouts[0].set_weights([np.zeros((U, H)), np.zeros(H)])
    rng = np.random.default_rng(1)
    a, c = rng.normal(size=(3, H)).astype("float32"), rng.normal(size=H).astype("float32")
    model.linears[0].set_weights([a, c])
    np.testing.assert_allclose(model(X), X[:, -3:, 0] @ a + c, rtol=1e-5, atol=1e-6)


def test_relative_forecasts_changes_from_the_last_value():
    """Zero read-outs forecast the last value (persistence); a shifted
    history shifts the forecast by the same amount."""
    model = Forecaster(H, units=U, linear_window=2, relative=True)
    model(X)
    np.testing.assert_allclose(model(X + 10.0), model(X) + 10.0, rtol=1e-5, atol=1e-4)
    for dense in (model.readouts[0], model.linears[0]):
        dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])
    np.testing.assert_allclose(model(X), np.repeat(X[:, -1, :], H, axis=1), rtol=1e-6)


@pytest.mark.parametrize("relative", [False, True])
def test_fit_linear_starts_from_the_least_squares_forecast(relative):
    """After `fit_linear` every member forecasts what NumPy's least-squares
    direct regression does, on the (shifted) last L values."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, T, 1)).astype("float32")
    y = (x[:, -2:, 0] @ rng.normal(size=(2, H)) + rng.normal(size=(40, H))).astype("float32")
    model = Forecaster(H, units=U, linear_window=2, relative=relative, members=2)
    model(x)
    model.fit_linear(x, y)
    shift = x[:, -1, :] if relative else np.zeros((40, 1), "float32")  # [N, 1]
    design = np.concatenate([np.ones((40, 1)), x[:, -2:, 0] - shift], axis=1)
    coefficients = np.linalg.lstsq(design, y - shift, rcond=None)[0]
    np.testing.assert_allclose(model(x), design @ coefficients + shift, rtol=1e-4, atol=1e-4)
    # The fit is the best linear one: any change of its coefficients costs.
    best = np.mean((np.asarray(model(x)) - y) ** 2)
    model.linears[1].bias.assign(model.linears[1].bias + 0.1)
    assert np.mean((np.asarray(model(x)) - y) ** 2) > best


def test_fit_linear_leaves_a_model_without_linear_term_alone():
    model = Forecaster(H, units=U)
    model(X)
    before = model(X)
    assert model.fit_linear(X, np.zeros((B, H))) is None
    np.testing.assert_allclose(model(X), before)


def test_members_average_and_each_fits_the_targets_alone():
    """The forecast is the members' mean, and the training loss (compiled MSE
    of the mean plus the added spread) is the members' mean squared error."""
    model = Forecaster(H, cell="elman", units=U, linear_window=2, members=3)
    y = np.random.default_rng(3).normal(size=(B, H)).astype("float32")
    forecast = model(X, training=True)
    each = np.stack([model.member(k, X) for k in range(3)], axis=1)  # [B, K, H]
    np.testing.assert_allclose(forecast, each.mean(axis=1), rtol=1e-5, atol=1e-6)
    loss = np.mean((np.asarray(forecast) - y) ** 2) + float(sum(model.losses))
    np.testing.assert_allclose(loss, np.mean((each - y[:, None]) ** 2), rtol=1e-5)
    model(X)  # inference: no spread added
    assert not model.losses


def test_any_history_length_runs():
    model = Forecaster(H, units=U, linear_window=2)
    assert tuple(model(np.zeros((2, 11, 1), "float32")).shape) == (2, H)


def test_compiles_with_xla():
    model = Forecaster(H, cell="gru", units=U, linear_window=2)
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    loss = model.train_on_batch(X, np.ones((B, H), "float32"))
    assert np.isfinite(loss)
    compiled = tf.function(lambda x: model(x), jit_compile=True)
    np.testing.assert_allclose(compiled(X), model(X), rtol=1e-5, atol=1e-6)


def test_mixed_precision_returns_float32():
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = Forecaster(H, units=U, linear_window=2)
    out = model(X)
    assert out.dtype == "float32"
    assert model.recurrent_layers[0].compute_dtype == "bfloat16"
    model.compile(optimizer="adam", loss="mse")
    assert np.isfinite(model.train_on_batch(X, np.ones((B, H), "float32")))


def test_trains_the_same_under_mirrored_strategy(mirrored):
    y = np.random.default_rng(2).normal(size=(4, H)).astype("float32")
    x = np.concatenate([X, X[:1]])

    def losses(strategy):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = Forecaster(H, units=U)
            model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False).history["loss"]

    np.testing.assert_allclose(losses(mirrored),
                               losses(tf.distribute.get_strategy()), rtol=1e-4)


@pytest.mark.parametrize("kwargs", [{"horizon": 0}, {"horizon": 2, "units": 0},
                                    {"horizon": 2, "dropout": 1.0},
                                    {"horizon": 2, "linear_window": -1},
                                    {"horizon": 2, "cell": "nope"}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        Forecaster(**kwargs)
