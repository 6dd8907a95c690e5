"""`Recurrent`: the fast sequence layer every rnnlab model uses."""

import keras
from keras import ops
from keras.src import backend  # `backend.rnn` is the loop `keras.layers.RNN` runs; pinned keras

from models.cells.base import RecurrentCell

#: Upper bound of a loop whose length is unknown while tracing.
_UNKNOWN_LENGTH = 2**31 - 1


def loop_length(steps, batch):
    """The `input_length` to give Keras' `backend.rnn` with `time_major=True`,
    from the static number of `steps` and `batch` size (None when unknown).

    Given None, `backend.rnn` takes `inputs.shape[1]`, which for time-major
    inputs is the batch size, and caps the loop at it: a graph with a fixed
    batch and a variable time axis would run min(B, T) steps. So:

    - known `steps`: `steps`;
    - unknown `steps` and `batch`: None, and the loop runs the dynamic
      number of steps (the case of `fit` on batches of any length);
    - unknown `steps`, fixed `batch`: the int32 maximum, a bound only (the
      loop still stops at the real number of steps). XLA cannot compile a
      gradient through that loop: it sizes the loop's accumulators by the
      bound. Give XLA static lengths there (pad to a fixed length), as the
      `decode.xla` export does.
    """
    if steps is not None:
        return steps
    return None if batch is None else _UNKNOWN_LENGTH


@keras.saving.register_keras_serializable(package="rnnlab")
class Recurrent(keras.layers.RNN):
    """Runs an rnnlab cell over a sequence, projecting all inputs at once.

    Same outputs as `keras.layers.RNN(cell)`; faster, because the input half
    of every step, ``x_t W + b`` (Beigy, "Deep learning: Recurrent neural networks", slide 13), does
    not depend on the recurrence: it is computed for all T steps in one `[B*T, d] x [d, P]`
    matrix product before the loop, and only the recurrent half
    (`cell.step`) runs inside it (docs/architecture.md section 6). The loop is Keras'
    `backend.rnn` (a `tf.while_loop`, or unrolled with `unroll=True`), so
    masks, `go_backwards`, `stateful`, `return_state`, XLA and mixed
    precision behave exactly as in `keras.layers.RNN`, and the layer works
    inside `keras.layers.Bidirectional`.

    Dropout: the input mask is drawn once per sequence and applied before the
    projection; the recurrent mask once per sequence inside `cell.step`.

    Args:
        cell: An instance of a `models.cells.RecurrentCell` subclass.
        return_sequences: Return the output of every step `[B, T, out]`
            instead of the last `[B, out]`. Default False.
        return_state: Also return the final states. Default False.
        go_backwards: Process the sequence in reverse. Default False.
        stateful: Carry the final states of batch i into batch i as the
            initial states of the next call (needs a fixed batch size).
        unroll: Unroll the loop (static length only): more memory, sometimes
            faster for short sequences.
        zero_output_for_mask: Output zeros at masked steps instead of
            repeating the last output (`Bidirectional` sets it).
        input_projection: `"sequence"` (default) projects the inputs of all
            steps in one product before the loop (docs/architecture.md section 6: one large
            GEMM, the layout cuDNN uses). `"step"` projects each step's input
            inside the loop; TensorFlow can then run step t+1's projection on
            an idle core while step t's recurrent product runs, which
            `bench/cells.py` measures as the faster choice on small CPUs.

    Call arguments:
        sequences: `[batch, time, features]`.
        initial_state: Optional list of initial state tensors.
        mask: Optional boolean `[batch, time]`; False steps are skipped, the
            state carried through (right padding).
        training: Whether dropout is active.

    Output shape:
        `[batch, out]` or `[batch, time, out]`, followed by the states when
        `return_state=True`.

    Example:

    >>> layer = Recurrent(LSTMCell(8), return_sequences=True)
    >>> layer(np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 8)
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        input_projection="sequence",
        **kwargs,
    ):
        if input_projection not in ("sequence", "step"):
            raise ValueError(
                "`input_projection` must be 'sequence' or 'step'. "
                f"Received: input_projection={input_projection!r}"
            )
        if not isinstance(cell, RecurrentCell):
            raise ValueError(
                "`Recurrent` runs the cells of `models.cells` (subclasses of "
                "`RecurrentCell`); wrap other cells in `keras.layers.RNN`. "
                f"Received: cell={cell!r}"
            )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        self.input_projection = input_projection

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        inputs = cell.drop_inputs(sequences, training)  # [B, T, d]
        inputs = ops.transpose(inputs, (1, 0, 2))  # [T, B, d]
        if self.input_projection == "sequence":
            # The input half of every step in one matrix product, before the loop.
            inputs = cell.project_inputs(inputs)  # [T, B, P]
            project = None
        else:
            project = cell.project_inputs
        if mask is not None:
            mask = ops.transpose(mask, (1, 0))  # [T, B]

        def step(inputs_t, states):  # [B, P], or [B, d] with input_projection="step"
            z_t = inputs_t if project is None else project(inputs_t)  # [B, P]
            output, new_states = cell.step(z_t, list(states), training=training)
            return output, list(new_states)

        last_output, outputs, states = backend.rnn(
            step,
            inputs,
            list(initial_state),
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=self.unroll,
            input_length=loop_length(sequences.shape[1], sequences.shape[0]),
            time_major=True,
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )
        if self.return_sequences:
            outputs = ops.transpose(outputs, (1, 0, 2))  # [B, T, out]
        return last_output, outputs, states

    def get_config(self):
        return {**super().get_config(), "input_projection": self.input_projection}
