"""LSTM with coupled input and forget gates (CIFG)."""

import keras
from keras import ops

from models.cells.base import split_gates
from models.cells.lstm_cell import LSTMCell


@keras.saving.register_keras_serializable(package="rnnlab")
class CIFGLSTMCell(LSTMCell):
    """Coupled input-forget gate LSTM (Beigy, "Deep learning: Recurrent neural networks", slide 50).

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

    def step(self, projected, states, training=False):
        h_tm1, c_tm1 = states  # [batch, units] each
        z = projected + ops.matmul(self.recurrent_input(h_tm1, training), self.recurrent_kernel)
        z_f, z_c, z_o = split_gates(z, 3)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + (1.0 - f) * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]
