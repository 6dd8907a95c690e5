"""A stack of (bidirectional) recurrent layers with residual connections."""

import keras
from keras import ops

from models.cells import make_cell
from models.recurrent import Recurrent


@keras.saving.register_keras_serializable(package="rnnlab")
class RecurrentEncoder(keras.layers.Layer):
    """Encoder of a sequence-to-sequence model: deep, bidirectional RNN.

    Each layer reads the whole source in both directions (Beigy, "Deep learning: Recurrent neural
    networks", slide 60: "a bidirectional RNN ... the annotation of each word summarizes both the
    preceding and the following words") and layers are stacked for depth;
    from the second layer on, a layer's input is added to its output
    (residual connections, Beigy, "Deep learning: Recurrent neural networks", slide 29; Wu et al.
    2016 section 3.1), which keeps deep stacks trainable.

    Args:
        cell: Short cell name of `models.cells.CELLS`. Default "lstm".
        units: Units of each direction of each layer.
        num_layers: Number of stacked layers. Default 1.
        bidirectional: Read each layer in both directions. Default True.
        residual: Residual connections between layers of equal width.
            Default True.
        dropout, recurrent_dropout: The cells' dropout rates.
        input_projection: passed to `models.Recurrent`.

    Call arguments:
        inputs: `[B, S, E]` embedded source.
        mask: optional bool `[B, S]`, True at real positions.
        training: dropout on or off.

    Returns:
        `(outputs [B, S, H], summary [B, H])` where H = units x directions:
        the last layer's outputs at every position (the attention memory)
        and its final hidden states, both directions concatenated.
    """

    def __init__(self, cell="lstm", units=128, num_layers=1, bidirectional=True,
                 residual=True, dropout=0.0, recurrent_dropout=0.0,
                 input_projection="sequence", **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"`num_layers` must be at least 1. Received: num_layers={num_layers}")
        self.cell = cell
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.residual = residual
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.input_projection = input_projection
        self.supports_masking = True
        self.layers = []
        for i in range(num_layers):
            layer = Recurrent(
                make_cell(cell, units, dropout=dropout, recurrent_dropout=recurrent_dropout),
                return_sequences=True, return_state=True,
                input_projection=input_projection, name=f"layer_{i}", dtype=self.dtype_policy,
            )
            if bidirectional:
                layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}",
                                                   dtype=self.dtype_policy)
            self.layers.append(layer)
        self.output_dim = units * (2 if bidirectional else 1)

    def build(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            layer.build(shape)
            shape = (*input_shape[:-1], self.output_dim)

    def call(self, inputs, mask=None, training=False):
        x = inputs
        summary = None
        for i, layer in enumerate(self.layers):
            out, *states = layer(x, mask=mask, training=training)  # out: [B, S, H]
            per_direction = len(states) // (2 if self.bidirectional else 1)
            h = states[0] if not self.bidirectional else ops.concatenate(
                [states[0], states[per_direction]], axis=-1)  # [B, H]
            if self.residual and i > 0 and x.shape[-1] == out.shape[-1]:
                out = out + x
            x, summary = out, h
        return x, summary

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.output_dim), (input_shape[0], self.output_dim)

    def compute_mask(self, inputs, mask=None):
        return mask, None

    def get_config(self):
        config = {
            "cell": self.cell, "units": self.units, "num_layers": self.num_layers,
            "bidirectional": self.bidirectional, "residual": self.residual,
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "input_projection": self.input_projection,
        }
        return {**super().get_config(), **config}
