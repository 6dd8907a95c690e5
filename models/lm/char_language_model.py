"""`CharLanguageModel`: a recurrent character language model, optionally
conditioned on a fixed vector."""

import keras
from keras import ops

# Keras keeps its "shapes only" flag private; `compute_output_spec` (how
# `fit` builds the metrics) sets it. The keras version is pinned in setup.cfg.
from keras.src.backend.common.symbolic_scope import in_symbolic_scope

from models.cells import make_cell
from models.recurrent import Recurrent

CONDITION_MODES = ("initial", "input", "both")


@keras.saving.register_keras_serializable(package="rnnlab")
class CharLanguageModel(keras.Model):
    """Predicts the next character from the characters so far.

    The chain rule writes the probability of a text as a product of
    next-character conditionals, ``p(x_1..x_T) = prod_t p(x_t | x_<t)``
    (Wang, "Recurrent Neural Network", slide 7); the recurrent state summarises the whole history
    instead of the last n-1 characters of a Markov model (slide 8). The
    parts, in order (Beigy, "Deep learning: Recurrent neural networks", slides 3-5): a character
    embedding, `layers` stacked `models.Recurrent` layers of any `models.cells` cell with dropout
    between them, and a dense softmax layer over the vocabulary (logits in
    float32, also under mixed precision). Training feeds the true previous
    characters (teacher forcing, Grosse and Ba, "CSC421/2516 Lecture 13: Recurrent Neural Networks",
    slide 19); generation feeds back the model's own samples (`step`, `models.lm.Sampler`).

    Conditioning (Wang, "Recurrent Neural Network", slide 23): with `condition_size` C > 0 every
    call takes a fixed vector `[B, C]` per sequence (for example a one-hot
    language), given to the model as the initial state of every recurrent
    layer (``h_0 = tanh(W_c c + b_c)``, one dense map per state tensor), as
    an extra input at every time step (concatenated to the character
    embedding), or both (`condition_mode`).

    Truncated backpropagation through time (Beigy, "Deep learning: Recurrent neural networks",
    slides 21-22): with `stateful=True` the model keeps the final states of each call in
    non-trainable variables of `streams` rows and starts the next call from
    them, so consecutive batches of contiguous text (`pipeline.tasks.lm.inputs`)
    continue each other's state while gradients flow through one batch's
    window only; `reset_state()` zeroes them (at each epoch). The variables
    are per replica (`synchronization="on_read"`), so under a
    `tf.distribute` strategy each replica carries the state of its own
    `streams` rows; a call with another batch size is an error (except a
    shapes-only symbolic call). Calls with explicit `states` (`forward`,
    `step`) never touch the carried state.

    Args:
        vocabulary_size: V, size of the softmax; id 0 is padding.
        embedding_dim: character embedding size. Default 64.
        cell: a `models.cells.CELLS` name. Default `"lstm"`.
        units: hidden units of every layer. Default 256.
        layers: stacked recurrent layers. Default 1.
        dropout: dropout on the embeddings and on the output of every
            recurrent layer. Default 0.
        recurrent_dropout: the cells' recurrent dropout (one mask per
            sequence). Default 0.
        condition_size: C, size of the conditioning vector; 0 (default)
            for an unconditional model.
        condition_mode: `"initial"`, `"input"` or `"both"` (default).
        stateful: carry the state across calls (truncated BPTT). Default False.
        streams: rows of the carried state, the per-replica batch size of a
            stateful model.

    Call arguments:
        inputs: int ids `[B, T]`, or `{"ids": [B, T], "condition": [B, C]}`
            for a conditional model.
        training: whether dropout is active.

    Returns:
        logits `[B, T, V]`, float32; position t predicts character t+1.

    Example:

    >>> model = CharLanguageModel(10, embedding_dim=4, units=8)
    >>> model.build((None, None))
    >>> model(np.ones((2, 5), "int32")).shape
    (2, 5, 10)
    """

    def __init__(self, vocabulary_size, embedding_dim=64, cell="lstm", units=256, layers=1,
                 dropout=0.0, recurrent_dropout=0.0, condition_size=0, condition_mode="both",
                 stateful=False, streams=None, **kwargs):
        super().__init__(**kwargs)
        if vocabulary_size < 2:
            raise ValueError("`vocabulary_size` must be at least 2. "
                             f"Received: vocabulary_size={vocabulary_size}")
        if layers < 1:
            raise ValueError(f"`layers` must be at least 1. Received: layers={layers}")
        if condition_mode not in CONDITION_MODES:
            raise ValueError(f"`condition_mode` must be one of {CONDITION_MODES}. "
                             f"Received: condition_mode={condition_mode!r}")
        if stateful and not (isinstance(streams, int) and streams > 0):
            raise ValueError("a stateful model needs `streams`, a positive integer. "
                             f"Received: streams={streams}")
        if stateful and condition_size:
            raise ValueError("a conditional model starts every sequence from its condition; "
                             "it cannot be stateful. Received: stateful=True, "
                             f"condition_size={condition_size}")
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.cell_name = cell
        self.units = units
        self.num_layers = layers
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.condition_size = condition_size
        self.condition_mode = condition_mode
        self.stateful = stateful
        self.streams = streams

        # Layers.
        policy = self.dtype_policy
        self.embedding = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                                name="embedding", dtype=policy)
        self.rnns = [
            Recurrent(make_cell(cell, units, recurrent_dropout=recurrent_dropout, dtype=policy),
                      return_sequences=True, return_state=True, name=f"rnn_{i}", dtype=policy)
            for i in range(layers)
        ]
        self.drop = keras.layers.Dropout(dropout, dtype=policy)
        self.condition_to_state = []
        if condition_size and condition_mode in ("initial", "both"):
            self.condition_to_state = [
                [keras.layers.Dense(size, activation="tanh", name=f"h0_{i}_{j}", dtype=policy)
                 for j, size in enumerate(rnn.cell.state_size)]
                for i, rnn in enumerate(self.rnns)
            ]
        self.output_layer = keras.layers.Dense(vocabulary_size, name="logits", dtype="float32")

    @property
    def conditions_input(self):
        return bool(self.condition_size) and self.condition_mode in ("input", "both")

    def build(self, input_shape=None):
        """Builds every sublayer (input shapes are known from the config)."""
        if self.built:
            return
        self.embedding.build((None, None))
        width = self.embedding_dim + (self.condition_size if self.conditions_input else 0)
        for rnn in self.rnns:
            rnn.build((None, None, width))
            width = rnn.cell.output_size
        for dense_list in self.condition_to_state:
            for dense in dense_list:
                dense.build((None, self.condition_size))
        self.output_layer.build((None, None, width))
        self.carried = []
        if self.stateful:
            # Per-replica copies: each replica carries the rows it trains on.
            self.carried = [
                [keras.Variable(ops.zeros((self.streams, size)), trainable=False,
                                dtype="float32", name=f"carried_{i}_{j}",
                                synchronization="on_read", aggregation="only_first_replica")
                 for j, size in enumerate(rnn.cell.state_size)]
                for i, rnn in enumerate(self.rnns)
            ]
        self.built = True

    # ------------------------------------------------------------------ states
    def initial_states(self, batch_size, condition=None):
        """Per layer, the list of its initial state tensors `[B, size]`:
        zeros, or ``tanh(W c + b)`` of the condition `[B, C]`."""
        if self.condition_to_state:
            if condition is None:
                raise ValueError("this model is conditional; pass `condition`")
            condition = ops.cast(condition, self.compute_dtype)
            return [[dense(condition) for dense in dense_list]
                    for dense_list in self.condition_to_state]
        return [rnn.cell.get_initial_state(batch_size) for rnn in self.rnns]

    def reset_state(self):
        """Zeroes the carried state of a stateful model."""
        for layer_vars in self.carried:
            for v in layer_vars:
                v.assign(ops.zeros_like(v))

    # ----------------------------------------------------------------- forward
    def _embed(self, ids, condition, training):
        x = self.drop(self.embedding(ids), training=training)  # [B, T, E] or [B, E]
        if self.conditions_input:
            c = ops.cast(condition, x.dtype)  # [B, C]
            if len(x.shape) == 3:
                c = ops.broadcast_to(c[:, None, :], (*ops.shape(x)[:2], self.condition_size))
            x = ops.concatenate([x, c], axis=-1)  # [B, (T,) E + C]
        return x

    def forward(self, ids, states=None, condition=None, mask=None, training=False):
        """Logits and final states from explicit initial states.

        Args:
            ids: int `[B, T]`.
            states: per layer, a list of state tensors; None starts from
                `initial_states`.
            condition: `[B, C]` for a conditional model.
            mask: optional bool `[B, T]`; False steps (right padding) are
                skipped and the state carried through.
            training: dropout on or off.

        Returns:
            `(logits [B, T, V] float32, final states)`.
        """
        hidden, new_states = self.features(ids, states, condition, mask, training)
        return self.output_layer(hidden), new_states

    def features(self, ids, states=None, condition=None, mask=None, training=False):
        """`(h [B, T, units], final states)`: the last recurrent layer's
        outputs, which the softmax layer reads (the keys and queries of the
        continuous cache, `models.lm.cache`); arguments as `forward`."""
        if states is None:
            states = self.initial_states(ops.shape(ids)[0], condition)
        x = self._embed(ids, condition, training)
        new_states = []
        for rnn, layer_states in zip(self.rnns, states, strict=True):
            x, *final = rnn(x, initial_state=list(layer_states), mask=mask, training=training)
            x = self.drop(x, training=training)  # [B, T, units]
            new_states.append(final)
        return x, new_states

    def step(self, ids, states, condition=None):
        """One character: `(logits [B, V] float32, new states)` from the
        previous ids `[B]` (inference, no dropout)."""
        x = self._embed(ids, condition, training=False)  # [B, E (+ C)]
        new_states = []
        for rnn, layer_states in zip(self.rnns, states, strict=True):
            x, final = rnn.cell(x, list(layer_states), training=False)
            new_states.append(list(final))
        return self.output_layer(x), new_states

    def call(self, inputs, training=False):
        if isinstance(inputs, dict):
            ids, condition = inputs["ids"], inputs.get("condition")
        else:
            ids, condition = inputs, None
        batch = ids.shape[0]
        if not self.stateful or (in_symbolic_scope() and batch != self.streams):
            # (A shapes-only call, e.g. Keras building the metrics from a
            # global batch under a strategy, needs no carried state.)
            logits, _ = self.forward(ids, condition=condition, training=training)
            return logits
        if batch is not None and batch != self.streams:
            raise ValueError(f"this stateful model carries {self.streams} streams; it was "
                             f"called with a batch of {batch}")
        states = [[ops.cast(v, self.compute_dtype) for v in layer_vars]
                  for layer_vars in self.carried]
        logits, final = self.forward(ids, states, training=training)
        for layer_vars, layer_states in zip(self.carried, final, strict=True):
            for v, s in zip(layer_vars, layer_states, strict=True):
                v.assign(ops.cast(s, v.dtype))
        return logits

    def get_config(self):
        config = {
            "vocabulary_size": self.vocabulary_size, "embedding_dim": self.embedding_dim,
            "cell": self.cell_name, "units": self.units, "layers": self.num_layers,
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "condition_size": self.condition_size, "condition_mode": self.condition_mode,
            "stateful": self.stateful, "streams": self.streams,
        }
        return {**super().get_config(), **config}
