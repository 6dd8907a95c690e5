"""The shared base of every rnnlab cell: one step, split in two halves.

A recurrent step computes ``phi(x_t W + h_{t-1} U + b)`` (Hamid Beigy, "Deep
learning: Recurrent neural networks", slide 13).
The input half ``x_t W + b`` does not depend on the recurrence, so
`models.Recurrent` computes it for every time step in one matrix product
before the loop and runs only the recurrent half per step.
Each cell therefore implements two hooks:

- `project_inputs(inputs)`: ``x W + b`` for inputs of shape
  ``[..., input_dim]``; returns ``[..., projection_size]``.
- `step(projected, states, training)`: the recurrent half of one step,
  returning ``(output, new_states)``.

`call(inputs, states, training)` chains the two, so every cell also honours
the Keras cell contract and runs inside `keras.layers.RNN`.

Dropout follows Gal and Ghahramani (2016): one input mask and one recurrent
mask per sequence, reused at every step. The recurrent mask multiplies only
the input of the recurrent matrix product, never the carried state.
"""

import keras
from keras import activations, constraints, initializers, ops, regularizers

# Keras keeps its mask-caching mixin private; `keras.layers.RNN` looks for it
# with isinstance() to draw one mask per sequence, so our cells must use it.
# The keras version is pinned in setup.cfg.
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell


class RecurrentCell(DropoutRNNCell, keras.layers.Layer):
    """Base class of the rnnlab cells (the Keras cell contract, documented once).

    A cell exposes `state_size` (a list with one integer per state tensor) and
    `output_size`, builds its weights in `build(input_shape)`, returns zeros
    from `get_initial_state(batch_size)`, and maps
    ``call(inputs [batch, input_dim], states, training)`` to
    ``(output [batch, output_size], new_states)``.

    Args:
        units: Positive integer, size of the hidden state.
        activation: Activation of the candidate state. Default `"tanh"`.
        use_bias: Whether the input projection adds a bias. Default `True`.
        kernel_initializer: Initializer of `kernel`. Default `"glorot_uniform"`.
        recurrent_initializer: Initializer of `recurrent_kernel`.
            Default `"orthogonal"`.
        bias_initializer: Initializer of `bias`. Default `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Optional regularizers of the three weights.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Optional constraints of the three weights.
        dropout: Float in [0, 1), fraction of the inputs dropped, one mask
            per sequence. Default 0.
        recurrent_dropout: Float in [0, 1), fraction of the recurrent input
            dropped, one mask per sequence. Default 0.
        seed: Random seed of the dropout masks.
    """

    #: number of `units`-wide blocks in kernel, recurrent_kernel and bias.
    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        if not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"`units` must be a positive integer. Received: units={units}"
            )
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={rate}")
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [units]
        self.output_size = units

    # ----------------------------------------------------------------- weights
    def build(self, input_shape):
        self.add_projection_weights(input_shape[-1], self.units)

    def add_projection_weights(self, input_dim, recurrent_dim, trainable=True):
        """Creates kernel [input_dim, gates*units], recurrent_kernel
        [recurrent_dim, gates*units] and (with `use_bias`) bias [gates*units]."""
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            trainable=trainable,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(recurrent_dim, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            trainable=trainable,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                name="bias",
                initializer=self.bias_init(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                trainable=trainable,
            )

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_init(self):
        """The bias initializer; gated cells override it (forget-gate bias)."""
        return self.bias_initializer

    # ------------------------------------------------------------------- hooks
    def project_inputs(self, inputs):
        """The input half of the step: ``x W + b``.

        Args:
            inputs: `[..., input_dim]`, one step or a whole sequence.
        Returns:
            `[..., gates * units]`.
        """
        z = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            z = z + self.input_bias()
        return z

    def input_bias(self):
        return self.bias

    def step(self, projected, states, training=False, cache=None):
        """The recurrent half of the step; returns `(output, new_states)`.

        Cells with a hand-written derivative (`step_derivative`) put into the
        dict `cache`, when one is given, every tensor that derivative needs.
        """
        raise NotImplementedError

    # ------------------------------------------ hand-written backward pass hook
    #: The `cache` entries that multiply `recurrent_kernel`, in column order:
    #: ``recurrent_kernel[:, block k]`` sees ``cache[recurrent_operands[k]]``.
    recurrent_operands = ("h_rec",)

    def step_derivative(self, cache, d_states, training=False):
        """The derivative of `step`: the hook of the hand-written backward pass.

        `models.Recurrent` trains the cells that override it with backward
        propagation through time written out (Hamid Beigy, "Deep learning:
        Recurrent neural networks", slides 23-40; the scheme of cuDNN and
        oneDNN): the forward loop keeps `cache` at every step, one backward
        loop calls this method from the last step to the first and carries
        only the state gradients, and the weight gradients are then single
        matrix products over all steps, ``[u, B*T] x [B*T, P]``.

        Args:
            cache: The dict `step` filled at this step (its tensors `[B, ...]`),
                plus ``"recurrent_kernel_t"``, the transposed recurrent kernel
                `[P, u]` (formed once: TensorFlow's CPU product with a
                transposed operand is about twice as slow as with a
                contiguous one), and ``"recurrent_mask"``, the recurrent
                dropout mask, when recurrent dropout is active.
            d_states: The gradients of the loss with respect to the new states
                `step` returned, `[B, s]` each.
            training: As given to `step`.

        Returns:
            `(d_projected, d_states_tm1, d_recurrent, d_weights)`:
            `d_projected [B, P]`, the gradient with respect to `projected`;
            `d_states_tm1`, with respect to the states `step` was given;
            `d_recurrent`, one `[B, w_k]` gradient per `recurrent_operands`
            entry, with respect to its product with columns block k of
            `recurrent_kernel`; `d_weights`, a dict from names of
            `recurrent_weights()` other than `recurrent_kernel` to `[B, ...]`
            per-example gradients, summed over batch and time.
        """
        raise NotImplementedError

    @property
    def handwritten_gradient(self):
        """Whether `Recurrent` may train this cell with `step_derivative`:
        the class that defines the `step` it runs also defines (or inherits
        along with it) `step_derivative`, and the cell uses only activations
        whose derivative is written out (see `activation_derivative`)."""
        def owner(name):  # the class whose method `name` this cell runs
            return next(c for c in type(self).__mro__ if name in vars(c))

        # A subclass that changes `step` but not `step_derivative` is differentiated
        # automatically: the inherited derivative is that of other equations.
        if owner("step_derivative") is RecurrentCell or not issubclass(
            owner("step_derivative"), owner("step")
        ):
            return False
        functions = [self.activation, getattr(self, "recurrent_activation", None)]
        return all(f is None or activation_derivative(f) is not None for f in functions)

    def recurrent_weights(self):
        """The weights `step` reads besides its projected input, as a dict
        from name to tensor; `step_derivative` returns their gradients."""
        return {"recurrent_kernel": self.recurrent_kernel}

    def recurrent_input_derivative(self, d_h_rec, cache):
        """The gradient of `h_tm1` from that of `recurrent_input(h_tm1)`."""
        mask = cache.get("recurrent_mask")
        return d_h_rec if mask is None else d_h_rec * mask

    def recurrent_input(self, h_tm1, training):
        """`h_tm1` as the recurrent matrix product sees it (recurrent dropout)."""
        if training and self.recurrent_dropout > 0.0:
            return h_tm1 * self.get_recurrent_dropout_mask(h_tm1)
        return h_tm1

    def drop_inputs(self, inputs, training):
        """Inputs with the per-sequence dropout mask applied.

        `inputs` is `[batch, input_dim]` or `[batch, time, input_dim]`.
        """
        if not (training and self.dropout > 0.0):
            return inputs
        mask = self.get_dropout_mask(inputs if len(inputs.shape) == 2 else inputs[:, 0])
        if len(inputs.shape) == 3:
            mask = ops.expand_dims(mask, 1)  # [batch, 1, input_dim]
        return inputs * mask

    # ------------------------------------------------------------ Keras contract
    def call(self, inputs, states, training=False):
        inputs = self.drop_inputs(inputs, training)
        return self.step(self.project_inputs(inputs), states, training=training)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_size]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def split_gates(z, count):
    """Splits `[..., count*units]` into `count` tensors of `[..., units]`."""
    return ops.split(z, count, axis=-1)


# Derivatives of the activations, written with their output y = f(x) so that
# the backward pass needs only what the forward pass kept.
_DERIVATIVES = {
    "sigmoid": lambda y: y * (1.0 - y),
    "tanh": lambda y: 1.0 - y * y,
    "relu": lambda y: ops.cast(y > 0, y.dtype),
    "linear": lambda y: ops.ones_like(y),
}


def activation_derivative(function):
    """``y -> f'(x)`` for the activation ``y = f(x)``, as a function of y;
    None when the derivative of `function` is not written out here."""
    for name, derivative in _DERIVATIVES.items():
        if function is activations.get(name):
            return derivative
    return None
