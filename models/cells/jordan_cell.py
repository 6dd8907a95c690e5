"""Jordan cell: recurrence from the previous output."""

import keras
from keras import activations, initializers, ops

from models.cells.base import RecurrentCell


@keras.saving.register_keras_serializable(package="rnnlab")
class JordanCell(RecurrentCell):
    """Jordan network: the state fed back is the output, not the hidden layer.

    "Network with output recurrence" (Xiaogang Wang, "Recurrent Neural
    Network", CUHK lecture, slide 19):

        h_t = phi(x_t W + y_{t-1} U + b)
        y_t = psi(h_t V + c)

    The memory is the previous prediction, which limits what the cell can
    remember but lets it be trained with teacher forcing.

    Weights: `kernel [d, u]`, `recurrent_kernel [o, u]`, `bias [u]`,
    `output_kernel [u, o]`, `output_bias [o]`, with o = `output_units`.

    Args:
        units: Size of the hidden layer.
        output_units: Size of the output, which is also the state.
            Default: `units`.
        activation: Activation phi of the hidden layer. Default tanh.
        output_activation: Activation psi of the output. Default tanh, which
            keeps the fed-back state bounded.
        **kwargs: The common arguments of `RecurrentCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[y_tm1]`; training.

    Output shape:
        `[batch, output_units]`, and the new states `[y]`.

    References:
        Jordan, "Serial order: a parallel distributed processing approach",
        ICS Report 8604, UCSD, 1986.
    """

    def __init__(self, units, output_units=None, activation="tanh",
                 output_activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        if output_units is not None and (not isinstance(output_units, int) or output_units <= 0):
            raise ValueError(
                f"`output_units` must be a positive integer. Received: output_units={output_units}"
            )
        self.output_units = output_units or units
        self.output_activation = activations.get(output_activation)
        self.state_size = [self.output_units]
        self.output_size = self.output_units

    def build(self, input_shape):
        self.add_projection_weights(input_shape[-1], self.output_units)
        self.output_kernel = self.add_weight(
            shape=(self.units, self.output_units),
            name="output_kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.output_bias = None
        if self.use_bias:
            self.output_bias = self.add_weight(
                shape=(self.output_units,),
                name="output_bias",
                initializer=initializers.get("zeros"),
            )

    def step(self, projected, states, training=False):
        y_tm1 = states[0]  # [batch, output_units]
        h = self.activation(
            projected + ops.matmul(self.recurrent_input(y_tm1, training), self.recurrent_kernel)
        )  # [batch, units]
        y = ops.matmul(h, self.output_kernel)  # [batch, output_units]
        if self.use_bias:
            y = y + self.output_bias
        y = self.output_activation(y)
        return y, [y]

    def get_config(self):
        config = {
            "output_units": self.output_units,
            "output_activation": activations.serialize(self.output_activation),
        }
        return {**super().get_config(), **config}
