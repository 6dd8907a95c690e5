"""The decoder of the sequence-to-sequence model: a cell, attention, outputs.

Keras 3's `RNN` takes no `constants`, and attention needs the encoder memory
at every step, so the decoder runs its own loop (Keras' `backend.rnn`, a
`tf.while_loop`, XLA-compilable) over one `step` that training (teacher
forcing) and decoding (greedy, beam search) share.
"""

import keras
from keras import ops
from keras.src import backend  # `backend.rnn`: the loop of keras.layers.RNN; pinned keras

from models.attention import BahdanauAttention, LuongAttention
from models.cells import make_cell
from models.recurrent import loop_length

STYLES = ("luong", "bahdanau", "none")


@keras.saving.register_keras_serializable(package="rnnlab")
class AttentiveDecoder(keras.layers.Layer):
    """RNN decoder with Bahdanau or Luong attention, or none.

    With ``y`` the previous target token, ``s`` the cell output, ``H`` the
    encoder memory and ``c`` the context (Beigy, "Deep learning: Recurrent neural networks", slides
    57-75):

    - `"luong"` (Luong et al. 2015, eqs. (5) and input feeding, section 3.3):
      ``s_t = cell([E y_{t-1}; h~_{t-1}])``, ``c_t = attend(s_t, H)``,
      ``h~_t = tanh(W_c [c_t; s_t])``, ``p(y_t) = softmax(W_s h~_t)``.
    - `"bahdanau"` (Bahdanau et al. 2015, eqs. (4)-(6)): attend from the
      previous state, ``c_t = attend(s_{t-1}, H)``,
      ``s_t = cell([E y_{t-1}; c_t])``, ``p(y_t) = softmax(W_s tanh(W_c [s_t; c_t]))``.
    - `"none"`: ``s_t = cell(E y_{t-1})``, ``p(y_t) = softmax(W_s s_t)``; the
      whole source must pass through the initial state (Beigy, "Deep
      learning: Recurrent neural networks", slide 58).

    The cell's first state starts as ``tanh(W_b summary)`` of the encoder's
    final states (Bahdanau et al. appendix A.2.2); other states start at zero.

    Args:
        vocab_size: Target vocabulary size (id 0 is padding).
        embedding_dim: Target embedding size.
        cell: Short cell name of `models.cells.CELLS`.
        units: Cell units.
        attention: `"luong"`, `"bahdanau"` or `"none"`.
        score, window, window_size, attention_units, max_source_length:
            `LuongAttention` options (`score` ignored for Bahdanau).
        dropout: Dropout on the target embeddings and the attentional state.
        scheduled_sampling: When True, training replaces each gold previous
            token (after the first) by a token sampled from the decoder's own
            output distribution with probability `sampling_probability`, a
            non-trainable variable that starts at 0 and that a training
            callback raises (Bengio et al. 2015, "Scheduled Sampling for
            Sequence Prediction with Recurrent Neural Networks", section 2.4).
            Teacher forcing (Grosse and Ba, "CSC421/2516 Lecture 13:
            Recurrent Neural Networks", slide 19) is the case probability 0.
        seed: Seed of the scheduled-sampling draws.

    Call arguments:
        decoder_inputs: int `[B, T]`, the targets shifted right (teacher forcing).
        memory: `[B, S, H]` encoder outputs; memory_mask: bool `[B, S]`.
        summary: `[B, H']` encoder summary for the initial state.

    Returns:
        `(logits [B, T, V], alignments [B, T, S])`; alignments are zeros for
        `attention="none"`.
    """

    def __init__(self, vocab_size, embedding_dim=64, cell="lstm", units=128, attention="luong",
                 score="general", window="global", window_size=None, attention_units=None,
                 max_source_length=None, dropout=0.0, scheduled_sampling=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if attention not in STYLES:
            raise ValueError(
                f"`attention` must be one of {STYLES}. Received: attention={attention}"
            )
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.cell_name = cell
        self.units = units
        self.attention_style = attention
        self.score = score
        self.window = window
        self.window_size = window_size
        self.attention_units = attention_units
        self.max_source_length = max_source_length
        self.dropout = dropout
        self.scheduled_sampling = scheduled_sampling
        self.seed = seed
        if scheduled_sampling:
            self.seed_generator = keras.random.SeedGenerator(seed)
        policy = self.dtype_policy
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding",
                                                dtype=policy)
        self.cell = make_cell(cell, units, dtype=policy)
        self.bridge = keras.layers.Dense(units, activation="tanh", name="bridge", dtype=policy)
        self.attention = None
        if attention == "luong":
            self.attention = LuongAttention(score=score, window=window, D=window_size,
                                            units=attention_units,
                                            max_source_length=max_source_length,
                                            name="attention", dtype=policy)
        elif attention == "bahdanau":
            self.attention = BahdanauAttention(attention_units or units, name="attention",
                                               dtype=policy)
        self.combine = None
        if attention != "none":
            self.combine = keras.layers.Dense(units, activation="tanh", use_bias=False,
                                              name="attentional_state", dtype=policy)
        self.output_layer = keras.layers.Dense(vocab_size, name="logits", dtype=policy)
        self.drop = keras.layers.Dropout(dropout, dtype=policy)

    # ------------------------------------------------------------------ build
    def build(self, memory_shape, summary_shape):
        memory_dim = memory_shape[-1]
        self.embedding.build((None, None))
        feed = {"luong": self.units, "bahdanau": memory_dim, "none": 0}[self.attention_style]
        self.cell.build((None, self.embedding_dim + feed))
        self.bridge.build(summary_shape)
        if self.attention is not None:
            self.attention.build((None, None, self.units), memory_shape)
            self.combine.build((None, self.units + memory_dim))
        self.output_layer.build((None, self.units))
        if self.scheduled_sampling:
            self.sampling_probability = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="sampling_probability")

    # ------------------------------------------------------------------ state
    def initial_state(self, memory, memory_mask, summary):
        """The decoding state: a dict of tensors with batch dimension first,
        so beam search can tile and reorder every entry."""
        batch = ops.shape(memory)[0]
        first = self.bridge(summary)  # [B, units]
        cell_states = [first] + [
            ops.zeros((batch, size), dtype=first.dtype) for size in self.cell.state_size[1:]
        ]
        state = {"cell": cell_states, "memory": memory,
                 "mask": ops.cast(memory_mask, "bool")}
        if self.attention_style == "luong":
            state["feed"] = ops.zeros_like(first)  # h~_0
        if self.attention is not None:
            state["keys"] = self.attention.process_keys(memory)
        return state

    # ------------------------------------------------------------------- step
    def step(self, y_prev, state, t, training=False):
        """One decoder step from embedded previous tokens `y_prev [N, E]`.

        Returns `(logits [N, V], new_state, weights [N, S])`.
        """
        out, new_state, weights = self.hidden_step(y_prev, state, t, training=training)
        return self.output_layer(out), new_state, weights

    def hidden_step(self, y_prev, state, t, training=False):
        """`step` up to the output layer: returns `(out [N, units], new_state,
        weights [N, S])`, where `out` is the attentional state (or the cell
        output without attention) that the output layer reads."""
        cell_states = list(state["cell"])
        positions = ops.full((ops.shape(y_prev)[0],), t, dtype="int32")  # [N]
        style = self.attention_style
        weights = None
        if style == "luong":
            s_t, cell_states = self._cell_step(ops.concatenate([y_prev, state["feed"]], -1),
                                               cell_states, training)
            context, weights = self.attention(s_t, state["memory"], mask=state["mask"],
                                              keys=state["keys"], query_positions=positions)
            out = self.drop(self.combine(ops.concatenate([context, s_t], -1)),
                            training=training)  # h~_t
        elif style == "bahdanau":
            query = cell_states[0]  # s_{t-1}
            context, weights = self.attention(query, state["memory"], mask=state["mask"],
                                              keys=state["keys"], query_positions=positions)
            s_t, cell_states = self._cell_step(ops.concatenate([y_prev, context], -1),
                                               cell_states, training)
            out = self.drop(self.combine(ops.concatenate([s_t, context], -1)),
                            training=training)
        else:
            out, cell_states = self._cell_step(y_prev, cell_states, training)
            weights = ops.zeros(ops.shape(state["mask"]), dtype=out.dtype)
        new_state = {**state, "cell": cell_states}
        if style == "luong":
            new_state["feed"] = out
        return out, new_state, weights

    def _cell_step(self, x, cell_states, training):
        output, new_states = self.cell.step(self.cell.project_inputs(x), cell_states,
                                            training=training)
        return output, list(new_states)

    def embed(self, ids, training=False):
        return self.drop(self.embedding(ids), training=training)

    # ------------------------------------------------------- teacher forcing
    def carried(self, state):
        """The entries of `state` that change from step to step, as a list."""
        return list(state["cell"]) + ([state["feed"]] if "feed" in state else [])

    def uncarried(self, flat):
        """Inverse of `carried`."""
        count = len(self.cell.state_size)
        out = {"cell": list(flat[:count])}
        if self.attention_style == "luong":
            out["feed"] = flat[count]
        return out

    def call(self, decoder_inputs, memory, memory_mask, summary, training=False):
        state = self.initial_state(memory, memory_mask, summary)
        fixed = {k: state[k] for k in ("memory", "mask", "keys") if k in state}
        inputs = ops.transpose(self.embed(decoder_inputs, training), (1, 0, 2))  # [T, B, E]
        step_index = ops.zeros((ops.shape(decoder_inputs)[0], 1), dtype="int32")  # t
        sampling = bool(training) and self.scheduled_sampling
        previous = [ops.zeros((ops.shape(decoder_inputs)[0], self.units),
                              dtype=self.compute_dtype)] if sampling else []

        def loop_step(y_t, states):  # y_t: [B, E]
            t = states[0][0, 0]
            carried = states[1:]
            if sampling:
                y_t = self._sample_previous(y_t, carried[-1], t)
                carried = carried[:-1]
            current = {**fixed, **self.uncarried(carried)}
            out, new_state, weights = self.hidden_step(y_t, current, t, training=training)
            joined = ops.concatenate([out, ops.cast(weights, out.dtype)], -1)  # [B, units+S]
            last = [out] if sampling else []
            return joined, [states[0] + 1] + self.carried(new_state) + last

        _, outputs, _ = backend.rnn(loop_step, inputs,
                                    [step_index] + self.carried(state) + previous,
                                    time_major=True,
                                    input_length=loop_length(decoder_inputs.shape[1],
                                                             decoder_inputs.shape[0]))
        outputs = ops.transpose(outputs, (1, 0, 2))  # [B, T, units + S]
        # The output layer needs no recurrence: one product for all steps.
        logits = self.output_layer(outputs[..., : self.units])  # [B, T, V]
        return logits, outputs[..., self.units :]

    def _sample_previous(self, gold, previous_out, t):
        """Scheduled sampling: the embedded gold token `gold [B, E]`, or with
        probability `sampling_probability` (never at t = 0) the embedding of a
        token drawn from the previous step's output distribution."""
        logits = ops.stop_gradient(ops.cast(self.output_layer(previous_out), "float32"))
        drawn = keras.random.categorical(logits, 1, seed=self.seed_generator)[:, 0]  # [B]
        coin = keras.random.uniform((ops.shape(gold)[0], 1), seed=self.seed_generator)
        use_model = ops.logical_and(coin < ops.cast(self.sampling_probability, "float32"),
                                    t > 0)  # [B, 1]
        return ops.where(use_model, self.embedding(drawn), gold)

    def get_config(self):
        config = {
            "vocab_size": self.vocab_size, "embedding_dim": self.embedding_dim,
            "cell": self.cell_name, "units": self.units, "attention": self.attention_style,
            "score": self.score, "window": self.window, "window_size": self.window_size,
            "attention_units": self.attention_units,
            "max_source_length": self.max_source_length, "dropout": self.dropout,
            "scheduled_sampling": self.scheduled_sampling, "seed": self.seed,
        }
        return {**super().get_config(), **config}
