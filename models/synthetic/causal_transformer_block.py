"""A Transformer encoder block whose steps attend to the past only."""

import keras

from models.transformer import TransformerEncoderBlock


@keras.saving.register_keras_serializable(package="rnnlab")
class CausalTransformerBlock(TransformerEncoderBlock):
    """`TransformerEncoderBlock` with a causal attention mask: the query at
    step t sees the keys of steps 1..t only (Vaswani et al. 2017, section
    3.2.3, the decoder's mask), so the output at t, like an RNN's `h_t`,
    depends on the inputs up to t. That makes it a synced many-to-many
    tagger comparable with an RNN (seed 003 slides 76-81).

    Same arguments, weights and post-/pre-norm layout as the parent; only
    the mask differs (`keras.layers.MultiHeadAttention(use_causal_mask=True)`
    builds it). No padding mask: the synthetic sequences have no padding.

    Call arguments:
        inputs: `[batch, time, d]`.
        training: whether dropout is active.

    Output shape:
        `[batch, time, d]`.
    """

    def call(self, inputs, training=False):
        x = inputs  # [B, T, d]
        residual = x
        if self.normalize_first:
            x = self._self_attention_layer_norm(x)
        x = self._self_attention(query=x, value=x, use_causal_mask=True,
                                 training=training)  # [B, T, d]
        x = self._self_attention_dropout(x, training=training)
        x = residual + x
        if not self.normalize_first:
            x = self._self_attention_layer_norm(x)
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
