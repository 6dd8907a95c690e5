"""LSTM with coupled input and forget gates (CIFG)."""

import keras
from keras import ops

from models.cells.base import activation_derivative, split_gates
from models.cells.lstm_cell import LSTMCell


@keras.saving.register_keras_serializable(package="rnnlab")
class CIFGLSTMCell(LSTMCell):
    """Coupled input-forget gate LSTM.

    Hamid Beigy, "Deep learning: Recurrent neural networks", slide 50.

    "We only forget when we're going to input something in its place": the
    input gate is tied to the forget gate, ``i = 1 - f``, which removes one
    gate's weights. With ``z = x_t W + h_{t-1} U + b`` split into f, c, o:

        f = sigma(z_f)      o = sigma(z_o)
        c_t = f * c_{t-1} + (1 - f) * tanh(z_c)
        h_t = o * tanh(c_t)

    Weights: `kernel [d, 3u]`, `recurrent_kernel [u, 3u]`, `bias [3u]` in gate
    order f, c, o. `unit_forget_bias` and `chrono_init` set the f block.

    Args:
        units: Size of the hidden and cell states.
        **kwargs: The arguments of `LSTMCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[h_tm1, c_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[h, c]`.

    References:
        Greff et al., "LSTM: A search space odyssey", IEEE TNNLS 2017
        (the CIFG variant, section III).
    """

    gates = 3
    gate_names = ("f", "c", "o")

    def step(self, projected, states, training=False, cache=None):
        h_tm1, c_tm1 = states  # [batch, units] each
        h_rec = self.recurrent_input(h_tm1, training)
        z = projected + ops.matmul(h_rec, self.recurrent_kernel)  # [batch, 3u]
        z_f, z_c, z_o = split_gates(z, 3)
        f = self.recurrent_activation(z_f)
        g = self.activation(z_c)
        c = f * c_tm1 + (1.0 - f) * g
        o = self.recurrent_activation(z_o)
        tanh_c = self.activation(c)
        h = o * tanh_c
        if cache is not None:
            cache.update(h_rec=h_rec, c_tm1=c_tm1, f=f, g=g, o=o, tanh_c=tanh_c)
        return h, [h, c]

    def step_derivative(self, cache, d_states, training=False):
        """Backward through `step`; the coupled gate gives
        ``dz_f = dc * (c_{t-1} - g) * sigma'(f)`` and ``dz_c = dc * (1 - f) * tanh'(g)``,
        the rest as `LSTMCell.step_derivative`."""
        dh, dc = d_states  # [batch, units] each
        sigma_prime = activation_derivative(self.recurrent_activation)
        phi_prime = activation_derivative(self.activation)
        f, g, o, tanh_c = (cache[k] for k in ("f", "g", "o", "tanh_c"))
        dc = dc + dh * o * phi_prime(tanh_c)
        dz = ops.concatenate(
            [
                dc * (cache["c_tm1"] - g) * sigma_prime(f),
                dc * (1.0 - f) * phi_prime(g),
                dh * tanh_c * sigma_prime(o),
            ],
            axis=-1,
        )  # [batch, 3u]
        dh_tm1 = ops.matmul(dz, cache["recurrent_kernel_t"])  # [batch, units]
        return dz, [self.recurrent_input_derivative(dh_tm1, cache), dc * f], [dz], {}
