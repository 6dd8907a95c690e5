"""Gated recurrent unit cell (Cho et al. 2014)."""

import keras
from keras import activations, ops

from models.cells.base import RecurrentCell, split_gates


@keras.saving.register_keras_serializable(package="rnnlab")
class GRUCell(RecurrentCell):
    """GRU cell, gates z (update), r (reset), h (candidate) (the summary of Goodfellow et al., "Deep
    Learning", ch. 10).

        z = sigma(x W_z + h_{t-1} U_z + b_z)
        r = sigma(x W_r + h_{t-1} U_r + b_r)
        reset_after=False:  h~ = tanh(x W_h + (r * h_{t-1}) U_h + b_h)
        reset_after=True:   h~ = tanh(x W_h + r * (h_{t-1} U_h + b'_h))
        h_t = z * h_{t-1} + (1 - z) * h~

    `reset_after=True` (the cuDNN convention) keeps a second, recurrent bias:
    `bias` is `[2, 3u]` (input row, recurrent row), else `[3u]`. The layout
    is `keras.layers.GRUCell`'s, so weights copy across.

    Args:
        units: Size of the hidden state.
        activation: Activation of the candidate. Default tanh.
        recurrent_activation: Activation of the gates. Default sigmoid.
        reset_after: Apply the reset gate after the recurrent product.
            Default True.
        **kwargs: The common arguments of `RecurrentCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[h_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[h]`.

    References:
        Cho et al., "Learning phrase representations using RNN encoder-decoder
        for statistical machine translation", EMNLP 2014, equations (5)-(8).
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def step(self, projected, states, training=False):
        h_tm1 = states[0]  # [batch, units]
        h_rec = self.recurrent_input(h_tm1, training)
        x_z, x_r, x_h = split_gates(projected, 3)
        u = self.units
        if self.reset_after:
            recurrent = ops.matmul(h_rec, self.recurrent_kernel)  # [batch, 3u]
            if self.use_bias:
                recurrent = recurrent + self.bias[1]
            r_z, r_r, r_h = split_gates(recurrent, 3)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            hh = self.activation(x_h + r * r_h)
        else:
            recurrent = ops.matmul(h_rec, self.recurrent_kernel[:, : 2 * u])  # [batch, 2u]
            r_z, r_r = split_gates(recurrent, 2)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            hh = self.activation(x_h + ops.matmul(r * h_rec, self.recurrent_kernel[:, 2 * u :]))
        h = z * h_tm1 + (1.0 - z) * hh
        return h, [h]

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
        return {**super().get_config(), **config}
