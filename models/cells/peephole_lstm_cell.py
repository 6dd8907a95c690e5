"""LSTM cell with peephole connections (Gers and Schmidhuber 2000)."""

import keras
from keras import initializers, ops

from models.cells.base import activation_derivative, split_gates
from models.cells.lstm_cell import LSTMCell


@keras.saving.register_keras_serializable(package="rnnlab")
class PeepholeLSTMCell(LSTMCell):
    """LSTM whose gates look at the cell state.

    Hamid Beigy, "Deep learning: Recurrent neural networks", slide 49.

    With ``z = x_t W + h_{t-1} U + b`` split into i, f, c, o:

        i = sigma(z_i + p_i * c_{t-1})
        f = sigma(z_f + p_f * c_{t-1})
        c_t = f * c_{t-1} + i * tanh(z_c)
        o = sigma(z_o + p_o * c_t)
        h_t = o * tanh(c_t)

    The input and forget gates see c(t-1), the output gate sees c(t).
    Weights: the three LSTM weights, then `input_gate_peephole [u]`,
    `forget_gate_peephole [u]`, `output_gate_peephole [u]`, the layout of
    TensorFlow Addons' `PeepholeLSTMCell`, so its weights copy across.

    Args:
        units: Size of the hidden and cell states.
        peephole_initializer: Initializer of the three peephole vectors.
            Default None: the `kernel_initializer`, as TensorFlow Addons did.
        **kwargs: The arguments of `LSTMCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[h_tm1, c_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[h, c]`.

    References:
        Gers and Schmidhuber, "Recurrent nets that time and count", IJCNN 2000.
        Gers, Schraudolph and Schmidhuber, "Learning precise timing with LSTM
        recurrent networks", JMLR 3, 2002, equations (1)-(5).
    """

    def __init__(self, units, peephole_initializer=None, **kwargs):
        super().__init__(units, **kwargs)
        self.peephole_initializer = (
            None if peephole_initializer is None else initializers.get(peephole_initializer)
        )

    def build(self, input_shape):
        super().build(input_shape)
        initializer = self.peephole_initializer or self.kernel_initializer
        for gate in ("input", "forget", "output"):
            weight = self.add_weight(
                shape=(self.units,), name=f"{gate}_gate_peephole", initializer=initializer
            )
            setattr(self, f"{gate}_gate_peephole", weight)

    def step(self, projected, states, training=False, cache=None):
        h_tm1, c_tm1 = states  # [batch, units] each
        h_rec = self.recurrent_input(h_tm1, training)
        z = projected + ops.matmul(h_rec, self.recurrent_kernel)  # [batch, 4u]
        z_i, z_f, z_c, z_o = split_gates(z, 4)
        i = self.recurrent_activation(z_i + self.input_gate_peephole * c_tm1)
        f = self.recurrent_activation(z_f + self.forget_gate_peephole * c_tm1)
        g = self.activation(z_c)
        c = f * c_tm1 + i * g
        o = self.recurrent_activation(z_o + self.output_gate_peephole * c)
        tanh_c = self.activation(c)
        h = o * tanh_c
        if cache is not None:
            cache.update(h_rec=h_rec, c_tm1=c_tm1, c=c, i=i, f=f, g=g, o=o, tanh_c=tanh_c)
        return h, [h, c]

    def step_derivative(self, cache, d_states, training=False):
        """As `LSTMCell.step_derivative`, plus the peephole paths:

            dz_o = dh_t * tanh(c_t) * sigma'(o)
            dc   = dc_t + dh_t * o * tanh'(c_t) + dz_o * p_o
            dc_{t-1} = dc * f + dz_i * p_i + dz_f * p_f
            dp_i = dz_i * c_{t-1}    dp_f = dz_f * c_{t-1}    dp_o = dz_o * c_t
        """
        dh, dc = d_states  # [batch, units] each
        sigma_prime = activation_derivative(self.recurrent_activation)
        phi_prime = activation_derivative(self.activation)
        i, f, g, o, tanh_c, c_tm1 = (cache[k] for k in ("i", "f", "g", "o", "tanh_c", "c_tm1"))
        dz_o = dh * tanh_c * sigma_prime(o)
        dc = dc + dh * o * phi_prime(tanh_c) + dz_o * self.output_gate_peephole
        dz_i = dc * g * sigma_prime(i)
        dz_f = dc * c_tm1 * sigma_prime(f)
        dz = ops.concatenate([dz_i, dz_f, dc * i * phi_prime(g), dz_o], axis=-1)  # [batch, 4u]
        dh_tm1 = ops.matmul(dz, cache["recurrent_kernel_t"])  # [batch, units]
        dc_tm1 = dc * f + dz_i * self.input_gate_peephole + dz_f * self.forget_gate_peephole
        d_weights = {
            "input_gate_peephole": dz_i * c_tm1,
            "forget_gate_peephole": dz_f * c_tm1,
            "output_gate_peephole": dz_o * cache["c"],
        }
        return dz, [self.recurrent_input_derivative(dh_tm1, cache), dc_tm1], [dz], d_weights

    def recurrent_weights(self):
        weights = super().recurrent_weights()
        for gate in ("input", "forget", "output"):
            weights[f"{gate}_gate_peephole"] = getattr(self, f"{gate}_gate_peephole")
        return weights

    def get_config(self):
        initializer = self.peephole_initializer
        if initializer is not None:
            initializer = initializers.serialize(initializer)
        return {**super().get_config(), "peephole_initializer": initializer}
