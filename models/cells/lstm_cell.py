"""Long short-term memory cell with forget-gate and chrono initialisation."""

import keras
import numpy as np
from keras import activations, ops

from models.cells.base import RecurrentCell, activation_derivative, split_gates


@keras.saving.register_keras_serializable(package="rnnlab")
class LSTMCell(RecurrentCell):
    """LSTM cell (Hochreiter and Schmidhuber 1997; forget gate of Gers et al. 2000).

    With ``z = x_t W + h_{t-1} U + b`` split into gates i, f, c, o
    (Hamid Beigy, "Deep learning: Recurrent neural networks", slides 41-47):

        i = sigma(z_i)      f = sigma(z_f)      o = sigma(z_o)
        c_t = f * c_{t-1} + i * tanh(z_c)
        h_t = o * tanh(c_t)

    Weights are `kernel [d, 4u]`, `recurrent_kernel [u, 4u]`, `bias [4u]` in
    gate order i, f, c, o, as `keras.layers.LSTMCell`, so they copy across.

    Args:
        units: Size of the hidden and cell states.
        activation: Activation of the candidate and of the output. Default tanh.
        recurrent_activation: Activation of the gates. Default sigmoid.
        unit_forget_bias: If True (default) the forget-gate bias starts at 1
            (Jozefowicz et al. 2015) and the other biases at zero.
        chrono_init: None, or T_max >= 2: the chrono initialisation of Tallec
            and Ollivier (2018), ``b_f ~ log(U[1, T_max - 1])``, ``b_i = -b_f``,
            which sets the forget gates' characteristic time scales to the
            range of dependencies expected. Overrides `unit_forget_bias`.
        **kwargs: The common arguments of `RecurrentCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[h_tm1, c_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[h, c]`.

    References:
        Hochreiter and Schmidhuber, "Long short-term memory", 1997.
        Gers, Schmidhuber and Cummins, "Learning to forget", 2000.
        Tallec and Ollivier, "Can recurrent neural networks warp time?",
        ICLR 2018, equation (16).
    """

    gates = 4
    gate_names = ("i", "f", "c", "o")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        chrono_init=None,
        **kwargs,
    ):
        if chrono_init is not None and not chrono_init >= 2:
            raise ValueError(
                f"`chrono_init` must be None or a length T_max >= 2. "
                f"Received: chrono_init={chrono_init}"
            )
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.chrono_init = chrono_init
        self.state_size = [units, units]

    def bias_init(self):
        """Forget-gate bias 1, or the chrono initialisation; other gates as given.

        Built gate by gate from `gate_names`, so the coupled-gate variant
        inherits it with its own gate order.
        """
        if self.chrono_init is None and not self.unit_forget_bias:
            return self.bias_initializer
        units, base, t_max, seed = self.units, self.bias_initializer, self.chrono_init, self.seed
        names = self.gate_names

        def initializer(shape, dtype=None):
            if t_max is not None:
                # Tallec and Ollivier (2018) eq. (16): b_f ~ log(U[1, T_max - 1]), b_i = -b_f.
                b_f = np.log(np.random.default_rng(seed).uniform(1.0, t_max - 1.0, size=units))
                blocks = {"f": b_f, "i": -b_f}
            else:
                blocks = {"f": np.ones(units)}
            parts = [
                ops.convert_to_tensor(blocks[g], dtype=dtype) if g in blocks
                else base((units,), dtype=dtype)
                for g in names
            ]
            return ops.concatenate(parts)

        return initializer

    def step(self, projected, states, training=False, cache=None):
        h_tm1, c_tm1 = states  # [batch, units] each
        h_rec = self.recurrent_input(h_tm1, training)
        z = projected + ops.matmul(h_rec, self.recurrent_kernel)  # [batch, 4u]
        z_i, z_f, z_c, z_o = split_gates(z, 4)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        g = self.activation(z_c)
        c = f * c_tm1 + i * g
        o = self.recurrent_activation(z_o)
        tanh_c = self.activation(c)
        h = o * tanh_c
        if cache is not None:
            cache.update(h_rec=h_rec, c_tm1=c_tm1, i=i, f=f, g=g, o=o, tanh_c=tanh_c)
        return h, [h, c]

    def step_derivative(self, cache, d_states, training=False):
        """Backward through the equations of `step`, with ``g = tanh(z_c)``:

            dc  = dc_t + dh_t * o * tanh'(c_t)
            dz_i = dc * g * sigma'(i)      dz_f = dc * c_{t-1} * sigma'(f)
            dz_c = dc * i * tanh'(g)       dz_o = dh_t * tanh(c_t) * sigma'(o)
            dc_{t-1} = dc * f              dh_{t-1} = dz U^T
        """
        dh, dc = d_states  # [batch, units] each
        sigma_prime = activation_derivative(self.recurrent_activation)
        phi_prime = activation_derivative(self.activation)
        i, f, g, o, tanh_c = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))
        dc = dc + dh * o * phi_prime(tanh_c)
        dz = ops.concatenate(
            [
                dc * g * sigma_prime(i),
                dc * cache["c_tm1"] * sigma_prime(f),
                dc * i * phi_prime(g),
                dh * tanh_c * sigma_prime(o),
            ],
            axis=-1,
        )  # [batch, 4u]
        dh_tm1 = ops.matmul(dz, cache["recurrent_kernel_t"])  # [batch, units]
        return dz, [self.recurrent_input_derivative(dh_tm1, cache), dc * f], [dz], {}

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "chrono_init": self.chrono_init,
        }
        return {**super().get_config(), **config}
