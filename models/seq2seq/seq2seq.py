"""`Seq2Seq`: encoder-decoder with attention, for grapheme-to-phoneme and kin."""

import keras
import tensorflow as tf
from keras import ops

from models.seq2seq.attentive_decoder import AttentiveDecoder
from models.seq2seq.recurrent_encoder import RecurrentEncoder
from models.seq2seq.transformer_encoder import TransformerEncoder

ENCODERS = ("recurrent", "transformer")


@keras.saving.register_keras_serializable(package="rnnlab")
class Seq2Seq(keras.Model):
    """Character encoder-decoder with attention (Beigy, "Deep learning: Recurrent neural networks",
    slides 56-75).

    Parts, in order: a source embedding (id 0 is padding and is masked); an
    encoder, either a deep bidirectional RNN of any `models.cells` cell with
    residual connections (`RecurrentEncoder`) or a stack of Transformer
    encoder blocks (`TransformerEncoder`, for comparison); and an
    `AttentiveDecoder` (Luong, Bahdanau or no attention). Training uses
    teacher forcing (Grosse and Ba, "CSC421/2516 Lecture 13: Recurrent
    Neural Networks", slide 19): `call` reads the gold previous tokens. `decoder_step` exposes one
    decoding step to the greedy and beam-search decoders of `models.decoding`.

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes, padding
            included at id 0.
        embedding_dim: source and target embedding size.
        encoder: `"recurrent"` or `"transformer"`.
        cell: cell of the encoder and decoder (`models.cells.CELLS`).
        units: encoder units per direction (recurrent) or model width
            (transformer).
        encoder_layers: stacked encoder layers.
        bidirectional, residual: recurrent encoder options.
        heads, intermediate_dim: transformer encoder options.
        attention, score, window, window_size, attention_units,
            max_source_length: decoder attention options.
        decoder_units: decoder cell units; default the encoder output width
            (needed by the `dot` scores).
        dropout: dropout of the embeddings and the attentional state.
        scheduled_sampling: give the decoder a `sampling_probability` for
            scheduled sampling (see `AttentiveDecoder`).

    Call arguments:
        inputs: `{"graphemes": int [B, S], "decoder_inputs": int [B, T]}`.

    Returns:
        logits `[B, T, target_vocab_size]`.
    """

    def __init__(self, source_vocab_size, target_vocab_size, embedding_dim=64,
                 encoder="recurrent", cell="lstm", units=128, encoder_layers=1,
                 bidirectional=True, residual=True, heads=4, intermediate_dim=256,
                 attention="luong", score="general", window="global", window_size=None,
                 attention_units=None, max_source_length=None, decoder_units=None,
                 dropout=0.0, scheduled_sampling=False, **kwargs):
        super().__init__(**kwargs)
        if encoder not in ENCODERS:
            raise ValueError(f"`encoder` must be one of {ENCODERS}. Received: encoder={encoder}")
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size
        self.embedding_dim = embedding_dim
        self.encoder_type = encoder
        self.cell_name = cell
        self.units = units
        self.encoder_layers = encoder_layers
        self.bidirectional = bidirectional
        self.residual = residual
        self.heads = heads
        self.intermediate_dim = intermediate_dim
        self.attention_style = attention
        self.score = score
        self.window = window
        self.window_size = window_size
        self.attention_units = attention_units
        self.max_source_length = max_source_length
        self.dropout = dropout
        self.scheduled_sampling = scheduled_sampling

        # Layers.
        policy = self.dtype_policy
        if encoder == "recurrent":
            self.source_embedding = keras.layers.Embedding(
                source_vocab_size, embedding_dim, mask_zero=True, name="source_embedding",
                dtype=policy)
            self.encoder = RecurrentEncoder(cell, units, num_layers=encoder_layers,
                                            bidirectional=bidirectional, residual=residual,
                                            name="encoder", dtype=policy)
            memory_dim = self.encoder.output_dim
        else:
            self.source_embedding = keras.layers.Embedding(
                source_vocab_size, units, mask_zero=True, name="source_embedding", dtype=policy)
            self.encoder = TransformerEncoder(num_layers=encoder_layers, heads=heads,
                                              intermediate_dim=intermediate_dim,
                                              dropout=dropout, name="encoder", dtype=policy)
            memory_dim = units
        self.decoder_units = decoder_units or memory_dim
        self.decoder = AttentiveDecoder(
            target_vocab_size, embedding_dim, cell=cell, units=self.decoder_units,
            attention=attention, score=score, window=window, window_size=window_size,
            attention_units=attention_units, max_source_length=max_source_length,
            dropout=dropout, scheduled_sampling=scheduled_sampling, name="decoder",
            dtype=policy)
        self.source_dropout = keras.layers.Dropout(dropout, dtype=policy)

    def encode(self, graphemes, training=False):
        """`(memory [B, S, H], mask [B, S], summary [B, H])` of source ids."""
        mask = ops.not_equal(graphemes, 0)  # [B, S]
        x = self.source_dropout(self.source_embedding(graphemes), training=training)
        memory, summary = self.encoder(x, mask=mask, training=training)
        return memory, mask, summary

    def call(self, inputs, training=False):
        logits, _ = self.logits_and_alignments(inputs, training=training)
        return logits

    def logits_and_alignments(self, inputs, training=False):
        """Teacher-forced logits `[B, T, V]` and attention weights `[B, T, S]`."""
        memory, mask, summary = self.encode(inputs["graphemes"], training=training)
        return self.decoder(inputs["decoder_inputs"], memory, mask, summary, training=training)

    def sequence_log_probs(self, graphemes, ids, lengths, start_id, end_id, ended=None,
                           logit_bias=None, repeats=1):
        """Teacher-forced ``log P(Y | X)`` of whole target sequences `[N]`.

        ``log P(Y | X) = sum_t log P(y_t | y_<t, X)`` over the tokens and
        the end token (the factorisation of Grosse and Ba, "CSC421/2516
        Lecture 13: Recurrent Neural Networks", slide 19), in float32.

        Args:
            graphemes: int `[N / repeats, S]` source ids.
            ids: int `[N, T]` target tokens, without the start and end
                tokens; anything after `lengths` is ignored.
            lengths: int `[N]` tokens of each target (at most T).
            start_id, end_id: the decoder's start and end token ids.
            ended: optional bool `[N]`; where false the end token is not
                scored (an unfinished hypothesis). Default: all true.
            logit_bias: optional float `[V]` added to the logits before the
                softmax, e.g. -1e9 on the tokens a decoder never emits, so
                the probabilities are those of the decoder's own choice.
            repeats: targets per source: rows `b * repeats` to
                `b * repeats + repeats - 1` of `ids` are read against source
                `b`, which is encoded once (an n-best list per word).
        """
        ids = tf.cast(ids, "int32")
        lengths = tf.cast(lengths, "int32")
        steps = tf.shape(ids)[1]
        positions = tf.range(steps + 1)[None, :]  # [1, T + 1]
        ids = ids * tf.cast(positions[:, :-1] < lengths[:, None], "int32")  # padding after
        padded = tf.pad(ids, [[0, 0], [0, 1]])  # [N, T + 1]
        starts = tf.fill([tf.shape(ids)[0], 1], start_id)
        decoder_inputs = tf.concat([starts, ids], axis=1)  # <s> y_1 ... y_T  [N, T + 1]
        targets = tf.where(positions == lengths[:, None], end_id, padded)  # y_1 ... </s>
        memory, mask, summary = (tf.repeat(x, repeats, axis=0)
                                 for x in self.encode(graphemes))  # [N, ...]
        logits, _ = self.decoder(decoder_inputs, memory, mask, summary)
        logits = tf.cast(logits, "float32")  # [N, T + 1, V]
        if logit_bias is not None:
            logits = logits + logit_bias
        log_probs = tf.nn.log_softmax(logits)  # [N, T + 1, V]
        picked = tf.gather(log_probs, targets, batch_dims=2)  # [N, T + 1]
        scored = positions < lengths[:, None]
        end = positions == lengths[:, None]
        if ended is not None:
            end = end & tf.cast(ended, "bool")[:, None]
        return tf.reduce_sum(tf.where(scored | end, picked, 0.0), axis=1)  # [N]

    def initial_decoder_state(self, graphemes):
        """The decoding state of a batch of sources (a dict, batch first)."""
        memory, mask, summary = self.encode(graphemes)
        return self.decoder.initial_state(memory, mask, summary)

    def decoder_step(self, ids, state, t):
        """`(logits [N, V], new_state)` from the previous ids `[N]`: the
        `step_fn` of `models.decoding`."""
        logits, new_state, _ = self.decoder.step(self.decoder.embed(ids), state, t)
        return logits, new_state

    def get_config(self):
        config = {
            "source_vocab_size": self.source_vocab_size,
            "target_vocab_size": self.target_vocab_size,
            "embedding_dim": self.embedding_dim, "encoder": self.encoder_type,
            "cell": self.cell_name, "units": self.units, "encoder_layers": self.encoder_layers,
            "bidirectional": self.bidirectional, "residual": self.residual,
            "heads": self.heads, "intermediate_dim": self.intermediate_dim,
            "attention": self.attention_style, "score": self.score, "window": self.window,
            "window_size": self.window_size, "attention_units": self.attention_units,
            "max_source_length": self.max_source_length, "decoder_units": self.decoder_units,
            "dropout": self.dropout, "scheduled_sampling": self.scheduled_sampling,
        }
        return {**super().get_config(), **config}
