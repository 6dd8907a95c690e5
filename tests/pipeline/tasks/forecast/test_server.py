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


def test_server_intervals_are_the_quantiles_times_the_window_scale():
    """Half-width = quantile x the mean absolute change over the window
    (`intervals.window_scales`): 10 for [0, 10], 2 for [4, 2, 4]'s last two."""
    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, keras.layers.Lambda(
        lambda x: tf.repeat(x[:, -1:, 0], 3, axis=1))(inputs))
    server = ForecastServer(model, mean=0.0, std=1.0, window=2, quantiles=[0.1, 0.2, 0.4])
    out = server.with_intervals(np.array([[7.0, 0.0, 10.0], [9.0, 4.0, 2.0]], "float32"))
    np.testing.assert_allclose(out["forecast"], [[10.0] * 3, [2.0] * 3])
    np.testing.assert_allclose(out["lower"], [[9.0, 8.0, 6.0], [1.8, 1.6, 1.2]], rtol=1e-6)
    np.testing.assert_allclose(out["upper"], [[11.0, 12.0, 14.0], [2.2, 2.4, 2.8]], rtol=1e-6)
    flat = server.with_intervals(np.array([[5.0, 5.0]], "float32"))  # scale 0: the floor
    np.testing.assert_allclose(flat["upper"] - flat["lower"], [[0.0] * 3], atol=1e-5)
