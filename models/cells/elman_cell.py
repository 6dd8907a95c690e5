"""Elman (simple recurrent) cell, with optional leaky integration."""

import keras
from keras import ops

from models.cells.base import RecurrentCell


@keras.saving.register_keras_serializable(package="rnnlab")
class ElmanCell(RecurrentCell):
    """Elman cell: ``h_t = phi(x_t W + h_{t-1} U + b)``.

    The hidden-to-hidden recurrence of Wang, "Recurrent Neural Network", slide 13 and Beigy, "Deep
    learning: Recurrent neural networks" slide 13 (Elman 1990). With `leak` < 1 the unit is a leaky
    integrator (Beigy, "Deep learning: Recurrent neural networks", slide 37; Jaeger et al. 2007):

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

    def step(self, projected, states, training=False):
        h_tm1 = states[0]  # [batch, units]
        recurrent = ops.matmul(self.recurrent_input(h_tm1, training), self.recurrent_kernel)
        h = self.activation(projected + recurrent)
        if self.leak != 1.0:
            h = (1.0 - self.leak) * h_tm1 + self.leak * h
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "leak": self.leak}
