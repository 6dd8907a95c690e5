"""One encoder layer of the Transformer: self-attention and feed-forward."""

import numbers

import keras
from keras import activations, initializers, ops, regularizers


def _clone_initializer(initializer):
    """A fresh copy, so that sublayers do not share one initializer object."""
    if not isinstance(initializer, initializers.Initializer):
        return initializer
    return initializer.__class__.from_config(initializer.get_config())


@keras.saving.register_keras_serializable(package="rnnlab")
class TransformerEncoderBlock(keras.layers.Layer):
    """Transformer encoder block (Vaswani et al. 2017, section 3.1).

    Two sublayers, each with a residual connection (Beigy, "Deep learning: Recurrent neural
    networks", slides 78-80): multi-head self-attention and a position-wise feed-forward network.
    With `x` the `[batch, time, d]` input, `h` heads and `d_k = d // h`:

        head_j = softmax(Q_j K_j^T / sqrt(d_k)) V_j,
                 Q_j = x W^Q_j, K_j = x W^K_j, V_j = x W^V_j        (eq. 1)
        MultiHead(x) = concat(head_1, ..., head_h) W^O              (section 3.2.2)
        FFN(x) = act(x W_1 + b_1) W_2 + b_2                         (eq. 2)

    (the projections also carry biases, as in `keras.layers.MultiHeadAttention`;
    the key bias shifts all scores of a query equally, so softmax ignores it
    and it gets no gradient). Post-norm, as in the paper
    (`normalize_first=False`):

        y = LayerNorm(x + Dropout(MultiHead(x)))
        z = LayerNorm(y + Dropout(FFN(y)))

    Pre-norm (`normalize_first=True`, Xiong et al. 2020), which trains deep
    stacks without warm-up:

        y = x + Dropout(MultiHead(LayerNorm(x)))
        z = y + Dropout(FFN(LayerNorm(y)))

    Masking: a `padding_mask` `[batch, time]` (True at real steps), or else
    the Keras mask of the input (from `Embedding(mask_zero=True)`), removes
    padded steps from the keys, so padded steps never influence real ones.
    Outputs at padded steps are not meaningful; the input mask is passed on
    to the output so that later layers ignore them. In a functional model,
    add position codes with `keras.layers.Add()`: the `+` operator drops
    Keras masks (keras-team/keras#18416).

    Args:
        num_heads: Number of attention heads h; `d_k = d // num_heads` must
            be at least 1.
        intermediate_dim: Width of the hidden layer of the feed-forward network
            (`d_ff`, 2048 in the paper).
        dropout: Rate of the dropout on the attention weights and on each
            sublayer output before the residual sum. Default 0.
        activation: Activation of the feed-forward hidden layer. Default relu.
        layer_norm_epsilon: Epsilon of both layer normalisations. Default 1e-5.
        normalize_first: False (default) for post-norm as in the paper, True
            for pre-norm.
        kernel_initializer: Initializer of every projection kernel. Default
            glorot_uniform.
        bias_initializer: Initializer of every projection bias. Default zeros.
        kernel_regularizer: Regularizer of every projection kernel. Default None.
        bias_regularizer: Regularizer of every projection bias. Default None.
        **kwargs: Base layer arguments (`name`, `dtype`, `activity_regularizer`, ...).

    Call arguments:
        inputs: `[batch, time, d]`.
        padding_mask: Optional boolean `[batch, time]`, True at real steps.
            Takes precedence over `mask`.
        training: Whether dropout is active.
        mask: The Keras mask of `inputs` (filled in by Keras), same format.

    Output shape:
        `[batch, time, d]`, the same as `inputs`.

    Example:

    ```python
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(100, 16, mask_zero=True)(tokens)  # [B, T, 16]
    x = keras.layers.Add()([x, SinePositionEncoding()(x)])  # `+` would drop the mask
    x = TransformerEncoderBlock(num_heads=2, intermediate_dim=32)(x)
    ```

    References:
        Vaswani et al., "Attention is all you need", NeurIPS 2017, sections
        3.1-3.3, equations (1) and (2). https://arxiv.org/abs/1706.03762
        Xiong et al., "On layer normalization in the Transformer
        architecture", ICML 2020 (pre-norm).
        keras-hub `keras_hub.layers.TransformerEncoder`, the layout followed.
    """

    #: When True, the query at step t sees the keys of steps 1..t only
    #: (`models.synthetic.CausalTransformerBlock` sets it).
    causal = False

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="relu",
        layer_norm_epsilon=1e-5,
        normalize_first=False,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        if not (isinstance(num_heads, numbers.Integral) and num_heads >= 1):
            raise ValueError(
                f"`num_heads` must be a positive integer. Received: num_heads={num_heads}"
            )
        if not (isinstance(intermediate_dim, numbers.Integral) and intermediate_dim >= 1):
            raise ValueError(
                "`intermediate_dim` must be a positive integer. "
                f"Received: intermediate_dim={intermediate_dim}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
        if not layer_norm_epsilon > 0:
            raise ValueError(
                "`layer_norm_epsilon` must be positive. "
                f"Received: layer_norm_epsilon={layer_norm_epsilon}"
            )
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = activations.get(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.normalize_first = normalize_first
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.supports_masking = True

    def _projection_kwargs(self):
        return {
            "kernel_initializer": _clone_initializer(self.kernel_initializer),
            "bias_initializer": _clone_initializer(self.bias_initializer),
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "dtype": self.dtype_policy,
        }

    def build(self, input_shape):
        d = input_shape[-1]
        if d is None:
            raise ValueError(
                f"The last axis of the input must be known. Received: input_shape={input_shape}"
            )
        key_dim = d // self.num_heads
        if key_dim == 0:
            raise ValueError(
                f"The model width d={d} must be at least `num_heads`. "
                f"Received: num_heads={self.num_heads}"
            )
        intermediate_shape = (*input_shape[:-1], self.intermediate_dim)

        # Sublayer 1: multi-head self-attention, W^Q, W^K, W^V [d, h, d_k], W^O [h, d_k, d].
        self._self_attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads,
            key_dim=key_dim,
            dropout=self.dropout,
            name="self_attention",
            **self._projection_kwargs(),
        )
        self._self_attention.build(query_shape=input_shape, value_shape=input_shape)
        self._self_attention_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="self_attention_layer_norm",
        )
        self._self_attention_layer_norm.build(input_shape)
        self._self_attention_dropout = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="self_attention_dropout"
        )

        # Sublayer 2: position-wise feed-forward, W_1 [d, d_ff], W_2 [d_ff, d].
        self._feedforward_intermediate_dense = keras.layers.Dense(
            self.intermediate_dim,
            activation=self.activation,
            name="feedforward_intermediate_dense",
            **self._projection_kwargs(),
        )
        self._feedforward_intermediate_dense.build(input_shape)
        self._feedforward_output_dense = keras.layers.Dense(
            d, name="feedforward_output_dense", **self._projection_kwargs()
        )
        self._feedforward_output_dense.build(intermediate_shape)
        self._feedforward_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="feedforward_layer_norm",
        )
        self._feedforward_layer_norm.build(input_shape)
        self._feedforward_dropout = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="feedforward_dropout"
        )

    def call(self, inputs, padding_mask=None, training=False, mask=None):
        x = inputs  # [B, T, d]
        if padding_mask is None:
            padding_mask = mask
        attention_mask = None
        if padding_mask is not None:
            # Keys at padded steps are hidden from every query: [B, 1, T] -> [B, T, T].
            key_mask = ops.expand_dims(ops.cast(padding_mask, "bool"), 1)  # [B, 1, T]
            batch, time = ops.shape(x)[0], ops.shape(x)[1]
            attention_mask = ops.broadcast_to(key_mask, (batch, time, time))  # [B, T, T]

        # y = LayerNorm(x + MultiHead(x)), or x + MultiHead(LayerNorm(x)) pre-norm.
        residual = x
        if self.normalize_first:
            x = self._self_attention_layer_norm(x)
        x = self._self_attention(
            query=x, value=x, attention_mask=attention_mask,
            use_causal_mask=self.causal, training=training,
        )  # [B, T, d]
        x = self._self_attention_dropout(x, training=training)
        x = residual + x
        if not self.normalize_first:
            x = self._self_attention_layer_norm(x)

        # z = LayerNorm(y + FFN(y)), or y + FFN(LayerNorm(y)) pre-norm.
        residual = x
        if self.normalize_first:
            x = self._feedforward_layer_norm(x)
        x = self._feedforward_intermediate_dense(x)  # [B, T, d_ff]
        x = self._feedforward_output_dense(x)  # [B, T, d]
        x = self._feedforward_dropout(x, training=training)
        x = residual + x
        if not self.normalize_first:
            x = self._feedforward_layer_norm(x)
        return x

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": activations.serialize(self.activation),
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "normalize_first": self.normalize_first,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }
        return {**super().get_config(), **config}
