"""Additive attention of Bahdanau, Cho and Bengio (2015)."""

import keras
from keras import initializers, ops

from models.attention.base import Attention


@keras.saving.register_keras_serializable(package="rnnlab")
class BahdanauAttention(Attention):
    """Additive (Bahdanau) attention: a one-hidden-layer alignment network.

    The score of decoder state ``s`` against encoder output ``h_j`` is a
    feed-forward network with one tanh hidden layer of `units` (Beigy, "Deep learning: Recurrent
    neural networks" slide 63; Bahdanau et al. 2015 eq. (6) and appendix A.1.2):

        e_j = v^T tanh(W_1 s + W_2 h_j [+ b])
        a_j = softmax_j(e_j),   c = sum_j a_j h_j

    i.e. ``v_a^T tanh(W_a [s; h_j])`` with ``W_a = [W_1, W_2]`` split by
    input. ``W_2 h_j`` does not depend on the decoder, so it is computed in
    `process_keys`, once per source sequence. In the paper the query is the
    previous decoder state ``s_{i-1}``; which state to pass is the decoder's
    choice. Weights sum to 1 over the unmasked positions; masked positions
    get exactly 0 (see `Attention`).

    Args:
        units: Positive integer, width of the hidden layer (n' in the paper).
        use_bias: Whether the hidden layer adds a bias `b`. Default False,
            as in the paper.
        bias_initializer: Initializer of `b`. Default `"zeros"`.
        **kwargs: The arguments of `Attention` (kernel initializer,
            regularizer, constraint) and of the base layer.

    Weights: `query_kernel` W_1 `[dq, units]`, `key_kernel` W_2 `[dv, units]`,
    `v` `[units]`, and `bias` `[units]` with `use_bias`.

    Call arguments:
        As `Attention`: `query [B, dq] | [B, Tq, dq]`, `values [B, S, dv]`,
        `mask`, `keys` (= `process_keys(values)`, `[B, S, units]`),
        `query_positions` (unused), `training`.

    Output shape:
        `(context [B, dv], weights [B, S])` or
        `(context [B, Tq, dv], weights [B, Tq, S])`.

    Example:

    >>> layer = BahdanauAttention(8)
    >>> context, weights = layer(np.zeros((2, 4), "float32"),
    ...                          np.zeros((2, 5, 6), "float32"))
    >>> context.shape, weights.shape
    ((2, 6), (2, 5))

    References:
        Bahdanau, Cho and Bengio, "Neural machine translation by jointly
        learning to align and translate", ICLR 2015, eq. (6), appendix A.1.2.
    """

    def __init__(self, units, use_bias=False, bias_initializer="zeros", **kwargs):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units}")
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, query_shape, values_shape):
        self.query_kernel = self.add_kernel("query_kernel", (query_shape[-1], self.units))
        self.key_kernel = self.add_kernel("key_kernel", (values_shape[-1], self.units))
        self.v = self.add_kernel("v", (self.units,))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), name="bias", initializer=self.bias_initializer
            )

    def process_keys(self, values):
        return ops.matmul(values, self.cast_weight(self.key_kernel))  # [B, S, units]: W_2 h_j

    def score(self, query, keys):
        w1_s = ops.matmul(query, self.query_kernel)  # [B, Tq, units]: W_1 s
        hidden = ops.expand_dims(w1_s, 2) + ops.expand_dims(keys, 1)  # [B, Tq, S, units]
        if self.use_bias:
            hidden = hidden + self.bias
        return ops.sum(ops.tanh(hidden) * self.v, axis=-1)  # [B, Tq, S]: v^T tanh(.)

    def get_config(self):
        config = {
            "units": self.units,
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
        return {**super().get_config(), **config}
