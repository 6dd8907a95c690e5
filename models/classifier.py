"""`TextClassifier`: many-to-one text classification with a recurrent encoder."""

import keras
from keras import ops

from models.attention.attention_pooling import AttentionPooling
from models.seq2seq.recurrent_encoder import RecurrentEncoder

POOLINGS = ("last", "attention")


@keras.saving.register_keras_serializable(package="rnnlab")
class TextClassifier(keras.Model):
    """Token ids in, class logits out: embedding, bidirectional RNN, pooling,
    a dense softmax layer ("RNN & LSTM Neural Networks", slides 26-27 and 31: "sequence input",
    the bidirectional RNN, text classification).

    Parts, in three visible steps:

    1. `Embedding` of the token ids (id 0 is padding and is masked), dropout;
    2. `RecurrentEncoder`: `num_layers` stacked (bidirectional) `Recurrent`
       layers of any `models.cells` cell, residual from the second layer;
    3. pooling to one vector per text: `"last"`, the final hidden states of
       both directions (the forward state at the last real token, the
       backward state at the first; Beigy, "Deep learning: Recurrent neural networks", slide 24), or
       `"attention"`, `AttentionPooling` over all positions (Yang et al. 2016);
       then dropout and a `Dense(num_classes)` that returns logits (the
       softmax is applied by the loss, `from_logits=True`, and by the
       serving graph). The last layer computes in float32 under a mixed
       precision policy, so the logits are float32.

    Args:
        vocab_size: input vocabulary size, padding (0) and OOV (1) included.
        num_classes: number of classes C.
        embedding_dim: token embedding size.
        cell: cell name of `models.cells.CELLS`. Default "lstm".
        units: units of each direction of each recurrent layer.
        num_layers: stacked recurrent layers. Default 1.
        bidirectional: read in both directions. Default True.
        pooling: `"last"` or `"attention"`. Default "attention".
        attention_units: hidden width of the attention pooling; default
            `units`.
        dropout: dropout of the embeddings and of the pooled vector.

    Call arguments:
        inputs: int token ids `[B, S]`, right-padded with 0.
        training: dropout on or off.

    Returns:
        logits `[B, num_classes]`, float32.

    Example:

    >>> model = TextClassifier(30, 4, embedding_dim=8, units=8)
    >>> model(np.array([[5, 6, 7], [8, 0, 0]])).shape
    TensorShape([2, 4])
    """

    def __init__(self, vocab_size, num_classes, embedding_dim=32, cell="lstm", units=64,
                 num_layers=1, bidirectional=True, pooling="attention", attention_units=None,
                 dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling}")
        if num_classes < 2:
            raise ValueError(f"`num_classes` must be at least 2. Received: "
                             f"num_classes={num_classes}")
        self.vocab_size = vocab_size
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.cell_name = cell
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.attention_units = attention_units
        self.dropout = dropout

        # Layers.
        policy = self.dtype_policy
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True,
                                                name="embedding", dtype=policy)
        self.embedding_dropout = keras.layers.Dropout(dropout, dtype=policy)
        self.encoder = RecurrentEncoder(cell, units, num_layers=num_layers,
                                        bidirectional=bidirectional, name="encoder",
                                        dtype=policy)
        self.attention = None
        if pooling == "attention":
            self.attention = AttentionPooling(attention_units or units, name="attention_pooling",
                                              dtype=policy)
        self.pooled_dropout = keras.layers.Dropout(dropout, dtype=policy)
        self.classifier = keras.layers.Dense(num_classes, name="logits", dtype="float32")

    def pool(self, ids, training=False):
        """`(pooled [B, H], weights [B, S] or None)` of token ids `[B, S]`;
        H = units x directions; weights only with attention pooling."""
        mask = ops.not_equal(ids, 0)  # [B, S]
        x = self.embedding_dropout(self.embedding(ids), training=training)  # [B, S, E]
        outputs, last = self.encoder(x, mask=mask, training=training)  # [B, S, H], [B, H]
        if self.attention is None:
            return last, None
        return self.attention(outputs, mask=mask)

    def logits_and_weights(self, ids, training=False):
        """Logits `[B, C]` and attention weights `[B, S]` (None for `"last"`)."""
        pooled, weights = self.pool(ids, training=training)
        logits = self.classifier(self.pooled_dropout(pooled, training=training))  # [B, C]
        return logits, weights

    def call(self, inputs, training=False):
        logits, _ = self.logits_and_weights(inputs, training=training)
        return logits

    def get_config(self):
        config = {
            "vocab_size": self.vocab_size, "num_classes": self.num_classes,
            "embedding_dim": self.embedding_dim, "cell": self.cell_name, "units": self.units,
            "num_layers": self.num_layers, "bidirectional": self.bidirectional,
            "pooling": self.pooling, "attention_units": self.attention_units,
            "dropout": self.dropout,
        }
        return {**super().get_config(), **config}
