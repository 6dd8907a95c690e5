"""`pipeline.core.export.write_archive`: a SavedModel that holds each weight
once and serves what the model computes."""

import keras
import numpy as np
import tensorflow as tf

from pipeline.core import export as export_lib


def test_the_archive_holds_each_weight_once_and_serves_the_model(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(40),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    model(np.ones((4, 3), "float32"), training=True)  # moves the moving statistics

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def serve(x):
        return {"y": model(x)}

    directory = str(tmp_path / "1")
    export_lib.write_archive(directory, [model], {"serving_default": serve})
    reader = tf.train.load_checkpoint(f"{directory}/variables/variables")
    values = sum(int(np.prod(shape)) for name, shape in
                 reader.get_variable_to_shape_map().items() if "VARIABLE_VALUE" in name)
    assert values == model.count_params()  # Keras 3.15 alone writes 2 * count_params()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    served = tf.saved_model.load(directory).signatures["serving_default"](x=tf.constant(x))
    np.testing.assert_allclose(served["y"].numpy(), model(x).numpy(), rtol=1e-6)
