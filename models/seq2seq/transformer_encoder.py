"""A stack of Transformer encoder blocks as a sequence-to-sequence encoder."""

import math

import keras
from keras import ops

from models.transformer import SinePositionEncoding, TransformerEncoderBlock


@keras.saving.register_keras_serializable(package="rnnlab")
class TransformerEncoder(keras.layers.Layer):
    """Embedded source -> Transformer encoder blocks (Beigy, "Deep learning: Recurrent neural
    networks", slides 76-81).

    The embeddings are scaled by sqrt(d) and summed with the sinusoidal
    position encoding (Vaswani et al. 2017, sections 3.4-3.5), then pass
    `num_layers` `TransformerEncoderBlock`s with the padding mask. The
    summary for the decoder's initial state is the mean of the outputs over
    the real positions.

    Args:
        num_layers: number of blocks.
        heads: attention heads; the width d must divide by it.
        intermediate_dim: feed-forward width.
        dropout: dropout inside the blocks and after the position encoding.

    Call arguments:
        inputs: `[B, S, d]` embedded source; mask: bool `[B, S]`.

    Returns:
        `(outputs [B, S, d], summary [B, d])`.
    """

    def __init__(self, num_layers=2, heads=4, intermediate_dim=256, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_layers = num_layers
        self.heads = heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.supports_masking = True
        policy = self.dtype_policy
        self.position_encoding = SinePositionEncoding(dtype=policy)
        self.drop = keras.layers.Dropout(dropout, dtype=policy)
        self.blocks = [
            TransformerEncoderBlock(heads, intermediate_dim, dropout=dropout,
                                    name=f"block_{i}", dtype=policy)
            for i in range(num_layers)
        ]

    def build(self, input_shape):
        for block in self.blocks:
            block.build(input_shape)

    def call(self, inputs, mask=None, training=False):
        width = inputs.shape[-1]
        x = inputs * ops.cast(math.sqrt(width), inputs.dtype)
        x = self.drop(x + self.position_encoding(x), training=training)  # [B, S, d]
        for block in self.blocks:
            x = block(x, padding_mask=mask, training=training)
        if mask is None:
            return x, ops.mean(x, axis=1)
        weights = ops.cast(mask, x.dtype)[..., None]  # [B, S, 1]
        summary = ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)
        return x, summary

    def compute_mask(self, inputs, mask=None):
        return mask, None

    def get_config(self):
        config = {"num_layers": self.num_layers, "heads": self.heads,
                  "intermediate_dim": self.intermediate_dim, "dropout": self.dropout}
        return {**super().get_config(), **config}
