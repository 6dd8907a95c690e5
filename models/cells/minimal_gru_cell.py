"""Minimal gated unit (Zhou et al. 2016): a GRU with one gate."""

import keras
from keras import activations, ops

from models.cells.base import RecurrentCell, activation_derivative, split_gates


@keras.saving.register_keras_serializable(package="rnnlab")
class MinimalGRUCell(RecurrentCell):
    """Minimal gated unit, a "simplified GRU".

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

    #: f sees h_{t-1}, the candidate sees f * h_{t-1}.
    recurrent_operands = ("h_rec", "fh_rec")

    def step(self, projected, states, training=False, cache=None):
        h_tm1 = states[0]  # [batch, units]
        h_rec = self.recurrent_input(h_tm1, training)
        x_f, x_h = split_gates(projected, 2)
        u = self.units
        f = self.recurrent_activation(x_f + ops.matmul(h_rec, self.recurrent_kernel[:, :u]))
        fh_rec = f * h_rec
        hh = self.activation(x_h + ops.matmul(fh_rec, self.recurrent_kernel[:, u:]))
        h = (1.0 - f) * h_tm1 + f * hh
        if cache is not None:
            cache.update(h_rec=h_rec, fh_rec=fh_rec, h_tm1=h_tm1, f=f, hh=hh)
        return h, [h]

    def step_derivative(self, cache, d_states, training=False):
        """Backward through `step`, with ``a_f, a_h`` the pre-activations:

            da_h = dh_t * f * tanh'(h~)          d(f h) = da_h U_h^T
            da_f = (dh_t * (h~ - h_{t-1}) + d(f h) * h) * sigma'(f)
            dh_{t-1} = dh_t * (1 - f) + da_f U_f^T + d(f h) * f
        """
        dh = d_states[0]  # [batch, units]
        sigma_prime = activation_derivative(self.recurrent_activation)
        phi_prime = activation_derivative(self.activation)
        f, hh, h_rec = cache["f"], cache["hh"], cache["h_rec"]
        u = self.units
        da_h = dh * f * phi_prime(hh)
        d_fh = ops.matmul(da_h, cache["recurrent_kernel_t"][u:])  # [batch, u]
        da_f = (dh * (hh - cache["h_tm1"]) + d_fh * h_rec) * sigma_prime(f)
        dh_rec = ops.matmul(da_f, cache["recurrent_kernel_t"][:u]) + d_fh * f
        dh_tm1 = dh * (1.0 - f) + self.recurrent_input_derivative(dh_rec, cache)
        d_projected = ops.concatenate([da_f, da_h], axis=-1)  # [batch, 2u]
        return d_projected, [dh_tm1], [da_f, da_h], {}

    def get_config(self):
        config = {"recurrent_activation": activations.serialize(self.recurrent_activation)}
        return {**super().get_config(), **config}
