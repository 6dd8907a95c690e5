"""The synthetic task's tf.data batches (`pipeline.tasks.synthetic.inputs`)."""

import tensorflow as tf

from pipeline.tasks.synthetic import inputs as synthetic_inputs
from pipeline.tasks.synthetic.dataset import parity_task


def test_synthetic_batches():
    inputs, targets = parity_task(10, 7)
    data = tf.data.Dataset.from_tensor_slices({"inputs": inputs, "targets": targets})
    batches = list(synthetic_inputs.batches(data, batch_size=4, training=True, seed=1))
    assert [b[0].shape for b in batches] == [(4, 7), (4, 7)]  # remainder dropped in training
