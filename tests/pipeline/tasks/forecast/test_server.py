"""The forecast task's serving graph (`pipeline.tasks.forecast.server`):
raw values through the in-graph normaliser."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from pipeline.tasks.forecast.server import ForecastServer


def test_server_scales_raw_values_in_and_out():
    """A model that repeats its last (normalised) input must return the raw
    last value: the normaliser is applied on the way in and undone on the
    way out."""
    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, keras.layers.Lambda(
        lambda x: tf.repeat(x[:, -1:, 0], 3, axis=1))(inputs))
    server = ForecastServer(model, mean=100.0, std=7.0, window=4)
    history = np.array([[1, 2, 3, 4, 5, 160.5], [9, 9, 9, 9, 9, -3.25]], "float32")
    np.testing.assert_allclose(server(history), [[160.5] * 3, [-3.25] * 3], rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 4"):
        server(history[:, :3])


def test_server_intervals_are_the_forecast_plus_minus_the_half_widths():
    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, keras.layers.Lambda(
        lambda x: tf.repeat(x[:, -1:, 0], 3, axis=1))(inputs))
    server = ForecastServer(model, mean=0.0, std=1.0, window=2, half_widths=[1.0, 2.0, 4.0])
    out = server.with_intervals(np.array([[0.0, 10.0]], "float32"))
    np.testing.assert_allclose(out["forecast"], [[10.0] * 3])
    np.testing.assert_allclose(out["lower"], [[9.0, 8.0, 6.0]])
    np.testing.assert_allclose(out["upper"], [[11.0, 12.0, 14.0]])
