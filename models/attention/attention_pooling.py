"""Attention pooling: a sequence of encoder outputs to one vector."""

import keras
from keras import constraints, initializers, ops, regularizers

from models.attention.base import masked_softmax


@keras.saving.register_keras_serializable(package="rnnlab")
class AttentionPooling(keras.layers.Layer):
    """Weighted average of encoder outputs, the weights from a learned query.

    A many-to-one model ("RNN & LSTM Neural Networks", slide 26, "sequence input ... sentiment
    analysis"; Beigy, "Deep learning: Recurrent neural networks", slide 24, summarization) must turn
    the outputs ``h_1 .. h_T`` of its encoder into one vector. Instead of the last state,
    attention pooling scores every position with a one-hidden-layer network
    against a learned context vector ``u_w`` (the additive score of Beigy, "Deep learning: Recurrent
    neural networks" slide 63 with a constant query; Yang et al. 2016, section 2.2, "word
    attention"):

        u_t = tanh(W h_t + b)                          # [B, T, units]
        a_t = exp(u_t . u_w) / sum_t' exp(u_t' . u_w)  # [B, T]
        s   = sum_t a_t h_t                            # [B, d]

    Masking: positions where `mask` is False get weight exactly 0; a row
    with no real position gets all-zero weights and a zero vector (no NaN).
    When `mask` is None the Keras mask attached to `values` is used, if any.

    Args:
        units: Positive integer, width of the hidden layer ``u_t``.
        kernel_initializer: Initializer of `W` and `u_w`. Default
            `"glorot_uniform"`.
        bias_initializer: Initializer of `b`. Default `"zeros"`.
        kernel_regularizer, kernel_constraint: Optional, for `W` and `u_w`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Weights: `kernel` W `[d, units]`, `bias` b `[units]`, `context` u_w
    `[units]`.

    Call arguments:
        values: `[B, T, d]` encoder outputs.
        mask: Optional bool `[B, T]`, True at real positions.

    Output shape:
        `(pooled [B, d], weights [B, T])`.

    Example:

    >>> pooled, weights = AttentionPooling(4)(np.zeros((2, 5, 6), "float32"))
    >>> pooled.shape, weights.shape
    ((2, 6), (2, 5))

    References:
        Yang, Yang, Dyer, He, Smola and Hovy, "Hierarchical attention
        networks for document classification", NAACL 2016, section 2.2.
        Bahdanau, Cho and Bengio, ICLR 2015, eq. (6) (the additive score).
    """

    def __init__(self, units, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, kernel_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units}")
        self.units = units
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(dim, self.units), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=self.bias_initializer)
        self.context = self.add_weight(
            shape=(self.units, 1), name="context", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)

    def call(self, values, mask=None):
        if mask is None:
            mask = getattr(values, "_keras_mask", None)
        u = ops.tanh(ops.matmul(values, self.kernel) + self.bias)  # [B, T, units]
        scores = ops.squeeze(ops.matmul(u, self.context), -1)  # [B, T]
        allowed = None if mask is None else ops.cast(mask, "bool")  # [B, T]
        weights = masked_softmax(scores, allowed)  # [B, T]
        pooled = ops.einsum("bt,btd->bd", weights, values)  # [B, d]
        return pooled, weights

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1]), tuple(input_shape[:2])

    def compute_mask(self, values, mask=None):
        return None, None

    def get_config(self):
        config = {
            "units": self.units,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }
        return {**super().get_config(), **config}
