"""`TransformerNetwork`: causal Transformer encoder blocks and a linear
read-out, the attention-only peer of `RecurrentNetwork`."""

import math

import keras
from keras import ops

from models.synthetic.causal_transformer_block import CausalTransformerBlock
from models.transformer import SinePositionEncoding


@keras.saving.register_keras_serializable(package="rnnlab")
class TransformerNetwork(keras.Model):
    """Inputs -> width-`units` projection + sinusoidal positions ->
    `num_layers` causal Transformer blocks -> a linear read-out.

    The interface of `RecurrentNetwork` (same inputs, outputs and
    `many_to_many` switch), so the two compare on the same task. Every step
    attends to itself and the steps before it (`CausalTransformerBlock`);
    many-to-one reads the last step, which has seen the whole sequence.
    Position codes are the fixed sinusoids of Vaswani et al. (2017) section
    3.5: a model trained at length T meets the codes of positions beyond T
    for the first time at test time, the setting of the length
    generalisation experiment (Deletang et al. 2023, Hahn 2020 on parity).

    Args:
        units: model width d (a multiple of `heads`).
        output_size: read-out width (1 for regression, classes for tagging).
        input_vocabulary: number of input symbols, 0 for real inputs.
        many_to_many: tag every step instead of reading the last one.
        num_layers: number of blocks.
        heads: attention heads.
        intermediate_dim: feed-forward width.
        dropout: dropout inside the blocks.

    Call arguments:
        inputs: int `[B, T]` (with `input_vocabulary`) or float `[B, T, d]`.

    Returns:
        float32 `[B, output_size]`, or `[B, T, output_size]` when
        `many_to_many`.

    References:
        Vaswani et al., "Attention is all you need", NeurIPS 2017.
        Hahn, "Theoretical limitations of self-attention in neural sequence
        models", TACL 2020. Deletang et al., "Neural networks and the
        Chomsky hierarchy", ICLR 2023.
    """

    def __init__(self, units=64, output_size=1, input_vocabulary=0, many_to_many=False,
                 num_layers=2, heads=4, intermediate_dim=128, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if units % heads:
            raise ValueError(f"`units` must be a multiple of `heads`. Received: units={units}, "
                             f"heads={heads}")
        self.units = units
        self.output_size = output_size
        self.input_vocabulary = input_vocabulary
        self.many_to_many = many_to_many
        self.num_layers = num_layers
        self.heads = heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        policy = self.dtype_policy
        self.project = keras.layers.Dense(units, dtype=policy, name="project")
        self.position_encoding = SinePositionEncoding(dtype=policy)
        self.blocks = [CausalTransformerBlock(heads, intermediate_dim, dropout=dropout,
                                              dtype=policy, name=f"block_{i}")
                       for i in range(num_layers)]
        self.readout = keras.layers.Dense(output_size, dtype="float32", name="readout")

    def features(self, inputs):
        """`[B, T, d]`: one-hot symbols or the reals."""
        if self.input_vocabulary:
            return ops.one_hot(ops.cast(inputs, "int32"), self.input_vocabulary,
                               dtype=self.compute_dtype)  # [B, T, V]
        return ops.cast(inputs, self.compute_dtype)  # [B, T, d]

    def call(self, inputs, training=False):
        x = self.project(self.features(inputs))  # [B, T, units]
        x = x * ops.cast(math.sqrt(self.units), x.dtype) + self.position_encoding(x)
        for block in self.blocks:
            x = block(x, training=training)  # [B, T, units]
        return self.readout(x if self.many_to_many else x[:, -1])

    def get_config(self):
        config = {"units": self.units, "output_size": self.output_size,
                  "input_vocabulary": self.input_vocabulary, "many_to_many": self.many_to_many,
                  "num_layers": self.num_layers, "heads": self.heads,
                  "intermediate_dim": self.intermediate_dim, "dropout": self.dropout}
        return {**super().get_config(), **config}
