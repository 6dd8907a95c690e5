"""The shared layer-test helper (CONVENTIONS.md, last section).

`run_layer_test` checks, at tiny sizes: config round trip, serialize /
deserialize, output shape, weight counts, and that one training step runs
and changes the trainable weights. Layers are usually cells or `Recurrent`
wrappers, so the helper takes a factory of the layer under test.
"""

import copy

import keras
import numpy as np


def run_layer_test(
    make_layer,
    input_shape,
    expected_output_shape,
    expected_trainable_weights,
    expected_non_trainable_weights=0,
    seed=0,
):
    """Runs the standard checks on the layer that `make_layer()` returns.

    Args:
        make_layer: Callable returning a fresh, unbuilt layer.
        input_shape: Full input shape, batch first, e.g. `(2, 3, 4)`.
        expected_output_shape: Shape of the (first) output.
        expected_trainable_weights: Number of trainable weight tensors.
        expected_non_trainable_weights: Number of non-trainable ones.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=input_shape).astype("float32")

    # Config round trip: from_config(get_config()) gives the same config.
    layer = make_layer()
    config = layer.get_config()
    clone = layer.__class__.from_config(copy.deepcopy(config))  # RNN pops "cell"
    assert clone.get_config() == config

    # Serialize / deserialize through the registry (package "rnnlab").
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)
    assert restored.get_config() == config

    # Output shape and weight counts.
    y = layer(x)
    y = y[0] if isinstance(y, (list, tuple)) else y
    assert tuple(y.shape) == tuple(expected_output_shape)
    assert len(layer.trainable_weights) == expected_trainable_weights
    assert len(layer.non_trainable_weights) == expected_non_trainable_weights

    # The deserialized layer with copied weights computes the same function.
    restored(x)
    restored.set_weights(layer.get_weights())
    y2 = restored(x)
    y2 = y2[0] if isinstance(y2, (list, tuple)) else y2
    np.testing.assert_allclose(np.asarray(y2), np.asarray(y), rtol=1e-6, atol=1e-6)

    # One training step moves every trainable weight.
    if expected_trainable_weights:
        inputs = keras.Input(input_shape[1:], batch_size=input_shape[0])
        out = layer(inputs)
        out = out[0] if isinstance(out, (list, tuple)) else out
        model = keras.Model(inputs, keras.layers.Dense(1)(out))
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before = [np.array(w) for w in layer.trainable_weights]
        target = rng.normal(size=tuple(model.output.shape)).astype("float32")
        loss = model.train_on_batch(x, target)
        assert np.isfinite(loss)
        for w0, w in zip(before, layer.trainable_weights, strict=True):
            assert not np.allclose(w0, np.array(w)), f"{w.path} did not train"
    return layer
