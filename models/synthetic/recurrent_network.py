"""`RecurrentNetwork`: one recurrent layer and a linear read-out, many-to-one
or synced many-to-many, for the long-range benchmarks."""

import keras
import tensorflow as tf
from keras import ops

from models import gradient_flow
from models.cells import make_cell
from models.recurrent import Recurrent


@keras.saving.register_keras_serializable(package="rnnlab")
class RecurrentNetwork(keras.Model):
    """Inputs -> `Recurrent(cell)` -> a linear read-out (Grosse and Ba, "CSC421/2516 Lecture 13:
    Recurrent Neural Networks", slides 8-13).

    Many-to-one (`many_to_many=False`): the read-out sees the last state
    only, as in the adding problem, where the target is a number computed
    from two steps anywhere in the sequence. Synced many-to-many
    (`many_to_many=True`): the read-out tags every step (copy task, per-step
    parity). Integer inputs are one-hot coded (`input_vocabulary` > 0);
    real inputs `[B, T, d]` go in as they are.

    With `flow_weight` > 0 training adds `flow_weight * Omega`, the
    gradient-flow regulariser of Pascanu et al. (2013) eq. (9)
    (`models.gradient_flow.flow_penalty`; Beigy, "Deep learning: Recurrent
    neural networks", slide 55), computed on a second pass over the batch that exposes every state;
    the logged training `loss` then includes it, and `flow_penalty` logs Omega alone (on the
    validation data too).

    Args:
        cell: a name of `models.cells.CELLS`.
        units: the cell's units.
        output_size: read-out width: 1 for regression, the number of
            classes for tagging (logits).
        input_vocabulary: number of input symbols for integer inputs, 0 for
            real-valued inputs.
        many_to_many: tag every step instead of reading the last one.
        flow_weight: weight of the Pascanu et al. regulariser; 0 = off.
        cell_options: extra keyword arguments of the cell.

    Call arguments:
        inputs: int `[B, T]` (with `input_vocabulary`) or float `[B, T, d]`.

    Returns:
        float32 `[B, output_size]`, or `[B, T, output_size]` when
        `many_to_many`.

    Example:

    >>> model = RecurrentNetwork("lstm", 8, output_size=2, input_vocabulary=2,
    ...                          many_to_many=True)
    >>> model(np.zeros((3, 5), "int32")).shape
    (3, 5, 2)
    """

    def __init__(self, cell="lstm", units=128, output_size=1, input_vocabulary=0,
                 many_to_many=False, flow_weight=0.0, cell_options=None, **kwargs):
        super().__init__(**kwargs)
        if not output_size >= 1:
            raise ValueError(f"`output_size` must be positive. Received: "
                             f"output_size={output_size}")
        if flow_weight < 0:
            raise ValueError(f"`flow_weight` must be >= 0. Received: flow_weight={flow_weight}")
        self.cell_name = cell
        self.units = units
        self.output_size = output_size
        self.input_vocabulary = input_vocabulary
        self.many_to_many = many_to_many
        self.flow_weight = float(flow_weight)
        self.cell_options = dict(cell_options or {})
        policy = self.dtype_policy
        self.rnn = Recurrent(make_cell(cell, units, dtype=policy, **self.cell_options),
                             return_sequences=many_to_many, dtype=policy, name="rnn")
        # The read-out computes in float32 so that losses stay float32 under mixed precision.
        self.readout = keras.layers.Dense(output_size, dtype="float32", name="readout")
        self.flow_tracker = keras.metrics.Mean(name="flow_penalty") if self.flow_weight else None

    def features(self, inputs):
        """`[B, T, d]` inputs of the recurrence: one-hot symbols or the reals."""
        if self.input_vocabulary:
            return ops.one_hot(ops.cast(inputs, "int32"), self.input_vocabulary,
                               dtype=self.compute_dtype)  # [B, T, V]
        return ops.cast(inputs, self.compute_dtype)  # [B, T, d]

    def head(self, outputs):
        """The read-out of the `[B, T, units]` outputs of every step."""
        return self.readout(outputs if self.many_to_many else outputs[:, -1])

    def call(self, inputs, training=False):
        return self.readout(self.rnn(self.features(inputs), training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training=training)
        if not self.flow_weight:
            return loss

        def batch_loss(outputs):  # the compiled loss of the read-out of `outputs`
            return super(RecurrentNetwork, self).compute_loss(
                x, y, self.head(outputs), sample_weight, training=False)

        # Omega is logged in validation too (how well the trained model passes
        # the error back), but only training adds it to the loss.
        penalty = gradient_flow.flow_penalty_of_loss(self.rnn.cell, self.features(x), batch_loss,
                                                     training=training)
        self.flow_tracker.update_state(penalty)
        if not training:
            return loss
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return loss + ops.cast(self.flow_weight / replicas, loss.dtype) * penalty

    def get_config(self):
        config = {"cell": self.cell_name, "units": self.units, "output_size": self.output_size,
                  "input_vocabulary": self.input_vocabulary, "many_to_many": self.many_to_many,
                  "flow_weight": self.flow_weight, "cell_options": self.cell_options}
        return {**super().get_config(), **config}
