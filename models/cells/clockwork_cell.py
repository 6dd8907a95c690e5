"""Clockwork RNN cell (Koutnik et al. 2014)."""

import math

import keras
import numpy as np
from keras import ops

from models.cells.base import RecurrentCell


@keras.saving.register_keras_serializable(package="rnnlab")
class ClockworkCell(RecurrentCell):
    """Clockwork RNN: hidden modules that tick at different periods.

    Seed 003 slide 53 (and slide 37, "removing length-one connections and
    replacing them with longer connections"). The `units` hidden units are
    split into `len(periods)` equal modules, sorted by period T_1 < T_2 < ....
    At step t (counted from 1) module i is active when ``t mod T_i == 0``
    (Koutnik et al., equation (2)):

        h_t[i] = tanh(x_t W[i] + h_{t-1} U[i] + b[i])   if t mod T_i == 0
        h_t[i] = h_{t-1}[i]                             otherwise

    `U` is block upper-triangular: a module receives from itself and from
    slower modules only. The connectivity mask is applied to
    `recurrent_kernel` at every step, so masked entries never act.

    The step counter is kept modulo the least common multiple of the periods
    as a second state `[batch, 1]`, exact in float16 and bfloat16 too.

    Weights: `kernel [d, u]`, `recurrent_kernel [u, u]`, `bias [u]`.

    Args:
        units: Size of the hidden state; a multiple of `len(periods)`.
        periods: Increasing positive integer periods of the modules.
            Default (1, 2, 4, 8), the exponential series of the paper.
        **kwargs: The common arguments of `RecurrentCell`.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[h_tm1, t_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[h, t]`.

    References:
        Koutnik, Greff, Gomez and Schmidhuber, "A Clockwork RNN", ICML 2014,
        section 3, equations (1)-(2).
    """

    def __init__(self, units, periods=(1, 2, 4, 8), **kwargs):
        periods = tuple(int(p) for p in periods)
        if not periods or any(p <= 0 for p in periods) or list(periods) != sorted(set(periods)):
            raise ValueError(
                f"`periods` must be increasing positive integers. Received: periods={periods}"
            )
        if units % len(periods):
            raise ValueError(
                f"`units` must be a multiple of the number of modules ({len(periods)}). "
                f"Received: units={units}"
            )
        super().__init__(units, **kwargs)
        self.periods = periods
        self.cycle = math.lcm(*periods)
        self.state_size = [units, 1]
        module = np.repeat(np.arange(len(periods)), units // len(periods))  # [units]
        self.unit_periods = np.asarray(periods, dtype="float32")[module]  # [units]
        # mask[from, to] = 1 where the sending module is as slow or slower.
        self.connectivity = (
            self.unit_periods[:, None] >= self.unit_periods[None, :]
        ).astype("float32")  # [units, units]

    def step(self, projected, states, training=False):
        h_tm1, t_tm1 = states  # [batch, units], [batch, 1]
        t = t_tm1 + 1.0
        periods = ops.convert_to_tensor(self.unit_periods, dtype=h_tm1.dtype)  # [units]
        active = ops.equal(ops.mod(t, periods), 0.0)  # [batch, units]
        kernel = self.recurrent_kernel * ops.convert_to_tensor(
            self.connectivity, dtype=h_tm1.dtype
        )  # [units, units]
        h_new = self.activation(
            projected + ops.matmul(self.recurrent_input(h_tm1, training), kernel)
        )
        h = ops.where(active, h_new, h_tm1)
        return h, [h, ops.mod(t, ops.cast(self.cycle, t.dtype))]

    def get_config(self):
        return {**super().get_config(), "periods": list(self.periods)}
