"""A Transformer encoder block whose steps attend to the past only."""

import keras

from models.transformer import TransformerEncoderBlock


@keras.saving.register_keras_serializable(package="rnnlab")
class CausalTransformerBlock(TransformerEncoderBlock):
    """`TransformerEncoderBlock` with a causal attention mask: the query at
    step t sees the keys of steps 1..t only (Vaswani et al. 2017, section
    3.2.3, the decoder's mask), so the output at t, like an RNN's `h_t`,
    depends on the inputs up to t. That makes it a synced many-to-many
    tagger comparable with an RNN (Beigy, "Deep learning: Recurrent neural networks", slides 76-81).

    Same arguments, weights and post-/pre-norm layout as the parent; only
    the mask differs (`keras.layers.MultiHeadAttention(use_causal_mask=True)`
    builds it, combined with a padding mask when one is given).

    Call arguments: as the parent's (`inputs [batch, time, d]`, optional
        `padding_mask`, `training`).

    Output shape:
        `[batch, time, d]`.
    """

    causal = True
