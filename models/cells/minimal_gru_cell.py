"""Minimal gated unit (Zhou et al. 2016): a GRU with one gate."""

import keras
from keras import activations, ops

from models.cells.base import RecurrentCell, split_gates


@keras.saving.register_keras_serializable(package="rnnlab")
class MinimalGRUCell(RecurrentCell):
    """Minimal gated unit, the "simplified GRU" of the summary of Goodfellow et al., "Deep
    Learning", ch. 10.

    One forget gate f does the work of the GRU's reset and update gates:

        f = sigma(x W_f + h_{t-1} U_f + b_f)
        h~ = tanh(x W_h + (f * h_{t-1}) U_h + b_h)
        h_t = (1 - f) * h_{t-1} + f * h~

    Weights: `kernel [d, 2u]`, `recurrent_kernel [u, 2u]`, `bias [2u]`, gate
    order f, h.

    Args:
        units: Size of the hidden state.
        activation: Activation of the candidate. Default tanh.
        recurrent_activation: Activation of the gate. Default sigmoid.
        **kwargs: The common arguments of `RecurrentCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[h_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[h]`.

    References:
        Zhou, Wu, Zhang and Zhou, "Minimal gated unit for recurrent neural
        networks", International Journal of Automation and Computing 13(3),
        2016, equation (8).
    """

    gates = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def step(self, projected, states, training=False):
        h_tm1 = states[0]  # [batch, units]
        h_rec = self.recurrent_input(h_tm1, training)
        x_f, x_h = split_gates(projected, 2)
        u = self.units
        f = self.recurrent_activation(x_f + ops.matmul(h_rec, self.recurrent_kernel[:, :u]))
        hh = self.activation(x_h + ops.matmul(f * h_rec, self.recurrent_kernel[:, u:]))
        h = (1.0 - f) * h_tm1 + f * hh
        return h, [h]

    def get_config(self):
        config = {"recurrent_activation": activations.serialize(self.recurrent_activation)}
        return {**super().get_config(), **config}
