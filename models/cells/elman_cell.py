"""Elman (simple recurrent) cell, with optional leaky integration."""

import keras
from keras import ops

from models.cells.base import RecurrentCell, activation_derivative


@keras.saving.register_keras_serializable(package="rnnlab")
class ElmanCell(RecurrentCell):
    """Elman cell: ``h_t = phi(x_t W + h_{t-1} U + b)``.

    The hidden-to-hidden recurrence (Elman 1990; Xiaogang Wang, "Recurrent
    Neural Network", CUHK lecture, slide 13; Hamid Beigy, "Deep learning:
    Recurrent neural networks", slide 13). With `leak` < 1 the unit is a
    leaky integrator (Beigy, slide 37; Jaeger et al. 2007):

        h_t = (1 - leak) * h_{t-1} + leak * phi(x_t W + h_{t-1} U + b)

    With ``activation="relu"`` and ``recurrent_initializer="identity"`` this
    is the IRNN of Le, Jaitly and Hinton (2015). Weights are laid out as in
    `keras.layers.SimpleRNNCell`, so they copy across.

    Args:
        units: Size of the hidden state.
        activation: `"tanh"` (default) or `"relu"`, or any Keras activation.
        leak: Float in (0, 1], the integration rate; 1 (default) is the plain
            Elman cell.
        **kwargs: The common arguments of `RecurrentCell` (initializers,
            regularizers, constraints, dropout, recurrent_dropout, seed).

    Call arguments:
        inputs: `[batch, input_dim]`.
        states: `[h_tm1]`, each `[batch, units]`.
        training: Whether dropout is active.

    Output shape:
        `[batch, units]`, and the new states `[h]`.

    Example:

    >>> layer = keras.layers.RNN(ElmanCell(4, leak=0.5))
    >>> layer(np.ones((2, 3, 5), "float32")).shape
    (2, 4)

    References:
        Elman, "Finding structure in time", Cognitive Science 14, 1990.
        Le, Jaitly and Hinton, "A simple way to initialize recurrent networks
        of rectified linear units", arXiv:1504.00941, 2015.
    """

    def __init__(self, units, activation="tanh", leak=1.0, **kwargs):
        if not 0.0 < leak <= 1.0:
            raise ValueError(f"`leak` must be in (0, 1]. Received: leak={leak}")
        super().__init__(units, activation=activation, **kwargs)
        self.leak = float(leak)

    def step(self, projected, states, training=False, cache=None):
        h_tm1 = states[0]  # [batch, units]
        h_rec = self.recurrent_input(h_tm1, training)
        y = self.activation(projected + ops.matmul(h_rec, self.recurrent_kernel))
        h = y if self.leak == 1.0 else (1.0 - self.leak) * h_tm1 + self.leak * y
        if cache is not None:
            cache.update(h_rec=h_rec, y=y)
        return h, [h]

    def step_derivative(self, cache, d_states, training=False):
        """Backward through `step`, ``y = phi(a)``:
        ``da = dh_t * leak * phi'(a)``, ``dh_{t-1} = dh_t * (1 - leak) + da U^T``."""
        dh = d_states[0]  # [batch, units]
        da = dh * activation_derivative(self.activation)(cache["y"])
        if self.leak != 1.0:
            da = da * self.leak
        dh_rec = ops.matmul(da, cache["recurrent_kernel_t"])  # [batch, units]
        dh_tm1 = self.recurrent_input_derivative(dh_rec, cache)
        if self.leak != 1.0:
            dh_tm1 = dh_tm1 + dh * (1.0 - self.leak)
        return da, [dh_tm1], [da], {}

    def get_config(self):
        return {**super().get_config(), "leak": self.leak}
