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

    1. `Embedding` of the token ids (id 0 is padding and is masked), with
       `ngram_order` >= 2 plus the sum of the embeddings of the hashed
       n-grams (2..`ngram_order`) that end at each token (fastText's subword
       features, Bojanowski et al. 2017, "Enriching Word Vectors with
       Subword Information", section 3.2), then dropout;
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
        ngram_order: highest n-gram order of the hashed n-gram features;
            below 2 (default 0), none.
        ngram_buckets: rows of the hashed n-gram embedding table (ids
            1..`ngram_buckets`; 0 is padding).

    Call arguments:
        inputs: int token ids `[B, S]`, right-padded with 0; with
            `ngram_order` >= 2, `[B, S, ngram_order]`: the token id, then
            the ids of its n-grams of orders 2..`ngram_order`
            (`pipeline.tasks.classify.inputs.encode_tokens`).
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
                 dropout=0.0, ngram_order=0, ngram_buckets=0, **kwargs):
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
        self.ngram_order = ngram_order
        self.ngram_buckets = ngram_buckets
        if ngram_order >= 2 and ngram_buckets < 1:
            raise ValueError(f"`ngram_buckets` must be at least 1 with n-gram features. "
                             f"Received: ngram_buckets={ngram_buckets}")

        # Layers.
        policy = self.dtype_policy
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True,
                                                name="embedding", dtype=policy)
        self.ngram_embedding = None
        if ngram_order >= 2:
            self.ngram_embedding = keras.layers.Embedding(ngram_buckets + 1, embedding_dim,
                                                          name="ngram_embedding", dtype=policy)
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

    def embed(self, inputs):
        """`(embedded [B, S, E], mask [B, S])` of the inputs."""
        if self.ngram_embedding is None:
            ids = inputs  # [B, S]
            return self.embedding(ids), ops.not_equal(ids, 0)
        ids, grams = inputs[..., 0], inputs[..., 1:]  # [B, S], [B, S, ngram_order - 1]
        x = self.embedding(ids)  # [B, S, E]
        x = x + ops.sum(self.ngram_embedding(grams), axis=2)  # [B, S, E]
        return x, ops.not_equal(ids, 0)

    def pool(self, ids, training=False):
        """`(pooled [B, H], weights [B, S] or None)` of the inputs `ids`;
        H = units x directions; weights only with attention pooling."""
        x, mask = self.embed(ids)  # [B, S, E], [B, S]
        x = self.embedding_dropout(x, training=training)  # [B, S, E]
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
            "dropout": self.dropout, "ngram_order": self.ngram_order,
            "ngram_buckets": self.ngram_buckets,
        }
        return {**super().get_config(), **config}
