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
