"""Echo-state network reservoir cell (Jaeger 2001)."""

import keras
import numpy as np
from keras import ops

from models.cells.base import RecurrentCell


def reservoir_matrix(units, spectral_radius, connectivity, rng, tries=10):
    """A sparse random `[units, units]` matrix scaled to a spectral radius.

    Entries are uniform in [-1, 1], each kept with probability
    `connectivity`; the matrix is then scaled so that its largest absolute
    eigenvalue equals `spectral_radius` (Jaeger 2001; Lukosevicius 2012,
    section 3.2.4).
    """
    for _ in range(tries):
        w = rng.uniform(-1.0, 1.0, size=(units, units))
        w *= rng.uniform(size=(units, units)) < connectivity
        radius = np.max(np.abs(np.linalg.eigvals(w)))
        if radius > 1e-8:
            return w * (spectral_radius / radius)
    raise ValueError(
        f"A {units}-unit reservoir with connectivity={connectivity} came out "
        f"nilpotent {tries} times (spectral radius 0); raise `connectivity`."
    )


@keras.saving.register_keras_serializable(package="rnnlab")
class ESNCell(RecurrentCell):
    """Echo-state reservoir: fixed random recurrent weights, nothing trains.

    Seed 003 slide 36: "set the recurrent weights such that they do a good
    job of capturing past history and learn only the output weights". The
    reservoir is a leaky tanh network (Jaeger et al. 2007):

        x~_t = tanh(u_t W_in + x_{t-1} W + b)
        x_t = (1 - leak) * x_{t-1} + leak * x~_t

    `W` is sparse (a fraction `connectivity` of nonzero entries) and scaled to
    the given spectral radius, which keeps the transition Jacobian's
    eigenvalues near or below 1 (the echo-state property). `W_in` and `b` are
    uniform in [-input_scaling, input_scaling]. All weights are
    non-trainable; train a readout (e.g. `keras.layers.Dense`) on the states.

    Weights: `kernel [d, u]`, `recurrent_kernel [u, u]`, `bias [u]`, all
    non-trainable.

    Args:
        units: Reservoir size.
        spectral_radius: Largest absolute eigenvalue of `W`. Default 0.9.
        connectivity: Fraction of nonzero recurrent weights. Default 0.1.
        leak: Leak rate in (0, 1]. Default 1 (no leak).
        input_scaling: Scale of `W_in` and `b`. Default 1.
        seed: Seed of the reservoir and of the dropout masks.
        **kwargs: `activation`, `use_bias`, dropout arguments.

    Call arguments:
        inputs: `[batch, input_dim]`; states: `[x_tm1]`; training.

    Output shape:
        `[batch, units]`, and the new states `[x]`.

    References:
        Jaeger, "The echo state approach to analysing and training recurrent
        neural networks", GMD Report 148, 2001.
        Jaeger, Lukosevicius, Popovici and Siewert, "Optimization and
        applications of echo state networks with leaky-integrator neurons",
        Neural Networks 20(3), 2007, equation (2).
        Lukosevicius, "A practical guide to applying echo state networks",
        2012.
    """

    def __init__(self, units, spectral_radius=0.9, connectivity=0.1, leak=1.0,
                 input_scaling=1.0, **kwargs):
        for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
            kwargs.pop(key, None)  # the reservoir sets its own weights
        if not spectral_radius > 0:
            raise ValueError(
                f"`spectral_radius` must be positive. Received: spectral_radius={spectral_radius}"
            )
        if not 0.0 < connectivity <= 1.0:
            raise ValueError(
                f"`connectivity` must be in (0, 1]. Received: connectivity={connectivity}"
            )
        if not 0.0 < leak <= 1.0:
            raise ValueError(f"`leak` must be in (0, 1]. Received: leak={leak}")
        super().__init__(units, **kwargs)
        self.spectral_radius = float(spectral_radius)
        self.connectivity = float(connectivity)
        self.leak = float(leak)
        self.input_scaling = float(input_scaling)

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        d, u, s = input_shape[-1], self.units, self.input_scaling
        w_in = rng.uniform(-s, s, size=(d, u))
        w = reservoir_matrix(u, self.spectral_radius, self.connectivity, rng)
        b = rng.uniform(-s, s, size=(u,))

        def constant(value):
            return lambda shape, dtype=None: ops.convert_to_tensor(value, dtype=dtype)

        self.kernel = self.add_weight(
            shape=(d, u), name="kernel", initializer=constant(w_in), trainable=False
        )
        self.recurrent_kernel = self.add_weight(
            shape=(u, u), name="recurrent_kernel", initializer=constant(w), trainable=False
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(u,), name="bias", initializer=constant(b), trainable=False
            )

    def step(self, projected, states, training=False):
        x_tm1 = states[0]  # [batch, units]
        recurrent = ops.matmul(self.recurrent_input(x_tm1, training), self.recurrent_kernel)
        x = self.activation(projected + recurrent)
        if self.leak != 1.0:
            x = (1.0 - self.leak) * x_tm1 + self.leak * x
        return x, [x]

    def get_config(self):
        config = super().get_config()
        for key in list(config):
            if key.startswith(("kernel_", "recurrent_", "bias_")) and key != "recurrent_dropout":
                config.pop(key)
        config.update(
            spectral_radius=self.spectral_radius,
            connectivity=self.connectivity,
            leak=self.leak,
            input_scaling=self.input_scaling,
        )
        return config
