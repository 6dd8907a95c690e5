"""cuDNN dispatch of `models.Recurrent` (`models.recurrent_cudnn`), tested on
a CPU by making Keras believe a GPU is visible: the training graph then holds
Keras' cuDNN op (it is traced, never run), and exports hold none."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from models import Recurrent, cells
from models.recurrent_cudnn import tf_rnn

B, T, D, U = 2, 4, 3, 4


@pytest.fixture
def fake_gpu(monkeypatch):
    """Keras' GPU test answers yes (for `cudnn_ok` and for `Recurrent`)."""
    monkeypatch.setattr(tf_rnn, "_is_gpu_available", lambda: True)


def cudnn_ops(graph_def):
    """Names of the ops containing "Cudnn" in a GraphDef and its function library."""
    nodes = list(graph_def.node)
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    return sorted({node.op for node in nodes if "Cudnn" in node.op})


def saved_model_cudnn_ops(path):
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    return sorted({op for meta in proto.meta_graphs for op in cudnn_ops(meta.graph_def)})


def test_dispatch_without_gpu():
    """No GPU (this machine): never cuDNN."""
    assert not Recurrent(cells.LSTMCell(U)).uses_cudnn(training=True)


def test_dispatch_conditions(fake_gpu):
    """cuDNN in training calls only, for the cells and options it computes exactly."""
    assert Recurrent(cells.LSTMCell(U)).uses_cudnn(training=True)
    assert Recurrent(cells.GRUCell(U)).uses_cudnn(training=True)
    assert Recurrent(cells.LSTMCell(U, dropout=0.2)).uses_cudnn(training=True)
    assert not Recurrent(cells.LSTMCell(U)).uses_cudnn(training=False)
    assert not Recurrent(cells.LSTMCell(U), use_cudnn=False).uses_cudnn(training=True)
    for cell in [
        cells.PeepholeLSTMCell(U),
        cells.CIFGLSTMCell(U),
        cells.GRUCell(U, reset_after=False),
        cells.LSTMCell(U, recurrent_dropout=0.1),
        cells.LSTMCell(U, recurrent_activation="hard_sigmoid"),
        cells.LSTMCell(U, use_bias=False),
        cells.MinimalGRUCell(U),
        cells.ElmanCell(U),
    ]:
        assert not Recurrent(cell).uses_cudnn(training=True), cell
    # cuDNN writes zeros at masked steps; the generic loop repeats the last output.
    sequences = Recurrent(cells.LSTMCell(U), return_sequences=True)
    assert not sequences.uses_cudnn(training=True, masked=True)
    assert sequences.uses_cudnn(training=True, masked=False)
    assert Recurrent(cells.LSTMCell(U), return_sequences=True,
                     zero_output_for_mask=True).uses_cudnn(training=True, masked=True)
    assert Recurrent(cells.LSTMCell(U)).uses_cudnn(training=True, masked=True)
    assert Recurrent.from_config(
        Recurrent(cells.LSTMCell(U), use_cudnn=False).get_config()).use_cudnn is False
    with pytest.raises(ValueError, match="use_cudnn"):
        Recurrent(cells.LSTMCell(U), use_cudnn="always")


@pytest.mark.parametrize("cell", [cells.LSTMCell, cells.GRUCell])
def test_exports_hold_no_cudnn_op(cell, fake_gpu, tmp_path):
    """A model whose training graph runs cuDNN exports the generic loop
    (tf.saved_model.save and Keras' ExportArchive), which loads and answers
    as the model does."""
    model = keras.Sequential([keras.Input((T, D)), Recurrent(cell(U)), keras.layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(B, T, D)).astype("float32")
    spec = tf.TensorSpec([None, T, D], tf.float32)

    @tf.function(input_signature=[spec])
    def train_step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)

    # The choice is made: the training graph holds cuDNN's forward and backward ops.
    training_graph = train_step.get_concrete_function().graph.as_graph_def()
    assert "CudnnRNNV3" in cudnn_ops(training_graph)
    assert "CudnnRNNBackpropV3" in cudnn_ops(training_graph)

    # The check finds a cuDNN op in a SavedModel that has one.
    module = tf.Module()
    module.train_step = train_step
    module.variables_ = model.variables
    tf.saved_model.save(module, str(tmp_path / "control"))
    assert "CudnnRNNV3" in saved_model_cudnn_ops(str(tmp_path / "control"))

    serving = tf.Module()
    serving.model = model
    serving.serve = tf.function(lambda x: {"y": model(x)}, input_signature=[spec])
    tf.saved_model.save(serving, str(tmp_path / "saved"),
                        signatures={"serving_default": serving.serve})
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call, input_signature=[spec])
    archive.write_out(str(tmp_path / "archive"), verbose=False)
    expected = np.asarray(model(x))
    for name in ("saved", "archive"):
        path = str(tmp_path / name)
        assert saved_model_cudnn_ops(path) == []
        loaded = tf.saved_model.load(path)
        answer = loaded.serve(tf.constant(x))
        answer = answer["y"] if isinstance(answer, dict) else answer
        np.testing.assert_allclose(np.asarray(answer), expected, rtol=1e-5, atol=1e-6)
