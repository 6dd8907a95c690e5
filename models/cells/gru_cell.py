"""Gated recurrent unit cell (Cho et al. 2014)."""

import keras
from keras import activations, ops

from models.cells.base import RecurrentCell, activation_derivative, split_gates


@keras.saving.register_keras_serializable(package="rnnlab")
class GRUCell(RecurrentCell):
    """GRU cell, gates z (update), r (reset), h (candidate).

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

    @property
    def recurrent_operands(self):
        # reset_after: one product h U; before: h [U_z U_r] and (r * h) U_h.
        return ("h_rec",) if self.reset_after else ("h_rec", "rh_rec")

    def step(self, projected, states, training=False, cache=None):
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
            saved = {"r_h": r_h}
        else:
            recurrent = ops.matmul(h_rec, self.recurrent_kernel[:, : 2 * u])  # [batch, 2u]
            r_z, r_r = split_gates(recurrent, 2)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            rh_rec = r * h_rec
            hh = self.activation(x_h + ops.matmul(rh_rec, self.recurrent_kernel[:, 2 * u :]))
            saved = {"rh_rec": rh_rec}
        h = z * h_tm1 + (1.0 - z) * hh
        if cache is not None:
            cache.update(h_rec=h_rec, h_tm1=h_tm1, z=z, r=r, hh=hh, **saved)
        return h, [h]

    def step_derivative(self, cache, d_states, training=False):
        """Backward through `step`, with ``a_z, a_r, a_h`` the pre-activations:

            da_z = dh_t * (h_{t-1} - h~) * sigma'(z)    da_h = dh_t * (1 - z) * tanh'(h~)
            reset_after:  da_r = da_h * r_h * sigma'(r),  d r_h = da_h * r
            reset_before: d(r h) = da_h U_h^T,  da_r = d(r h) * h * sigma'(r)
            dh_{t-1} = dh_t * z + (the recurrent products' input gradients)
        """
        dh = d_states[0]  # [batch, units]
        sigma_prime = activation_derivative(self.recurrent_activation)
        phi_prime = activation_derivative(self.activation)
        z, r, hh, h_rec = (cache[k] for k in ("z", "r", "hh", "h_rec"))
        da_z = dh * (cache["h_tm1"] - hh) * sigma_prime(z)
        da_h = dh * (1.0 - z) * phi_prime(hh)
        u = self.units
        kernel_t = cache["recurrent_kernel_t"]  # [3u, u]
        if self.reset_after:
            da_r = da_h * cache["r_h"] * sigma_prime(r)
            d_recurrent = ops.concatenate([da_z, da_r, da_h * r], axis=-1)  # [batch, 3u]
            dh_rec = ops.matmul(d_recurrent, kernel_t)
            d_recurrents = [d_recurrent]
            d_weights = {"recurrent_bias": d_recurrent} if self.use_bias else {}
        else:
            d_rh = ops.matmul(da_h, kernel_t[2 * u :])  # [batch, u]
            da_r = d_rh * h_rec * sigma_prime(r)
            d_zr = ops.concatenate([da_z, da_r], axis=-1)  # [batch, 2u]
            dh_rec = ops.matmul(d_zr, kernel_t[: 2 * u]) + d_rh * r
            d_recurrents = [d_zr, da_h]
            d_weights = {}
        d_projected = ops.concatenate([da_z, da_r, da_h], axis=-1)  # [batch, 3u]
        dh_tm1 = dh * z + self.recurrent_input_derivative(dh_rec, cache)
        return d_projected, [dh_tm1], d_recurrents, d_weights

    def recurrent_weights(self):
        weights = super().recurrent_weights()
        if self.reset_after and self.use_bias:
            weights["recurrent_bias"] = self.bias[1]
        return weights

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
        return {**super().get_config(), **config}
