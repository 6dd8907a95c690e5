"""`Recurrent`: the fast sequence layer every rnnlab model uses."""

import keras
import tensorflow as tf
from keras import ops
from keras.src import (
    backend,  # `backend.rnn` is the loop `keras.layers.RNN` runs; pinned keras
    tree,
)

from models.cells.base import RecurrentCell
from models.recurrent_bptt import handwritten_rnn
from models.recurrent_cudnn import cudnn_computes, cudnn_rnn, gpu_visible, right_padded

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
    of every step, ``x_t W + b`` (Hamid Beigy, "Deep learning: Recurrent
    neural networks", slide 13), does not depend on the recurrence: it is
    computed for all T steps in one `[B*T, d] x [d, P]` matrix product before
    the loop, and only the recurrent half (`cell.step`) runs inside it.

    Three loops compute the same function:

    - training calls of the cells that state their derivative run
      `models.recurrent_bptt`, whose backward pass is written out and whose
      weight gradients are single products over all steps;
    - training calls on a GPU, for the cells and options cuDNN computes
      exactly, run Keras' cuDNN functions (`models.recurrent_cudnn`);
    - everything else, and every inference call (so every export), runs
      Keras' `backend.rnn` (a `tf.while_loop`, or unrolled with
      `unroll=True`), differentiated automatically: the reference.

    Masks, `go_backwards`, `stateful`, `return_state`, XLA, mixed precision
    and `tf.distribute` behave exactly as in `keras.layers.RNN`, and the
    layer works inside `keras.layers.Bidirectional`.

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
            steps in one product before the loop (one large GEMM, the layout
            cuDNN uses). `"step"` projects each step's input
            inside the loop, where TensorFlow can run step t+1's projection
            on an idle core while step t's recurrent product runs; it trains
            with automatic differentiation, since the hand-written backward
            pass needs the projection outside the loop. The default is the
            measured choice (`python -m bench.cells`): on CPU, "sequence"
            with the hand-written backward pass is the faster training step;
            on GPU, cuDNN (where it applies) projects by itself.
        handwritten_gradient: If True (default), train the cells that state
            their derivative (`RecurrentCell.step_derivative`: the LSTM cells,
            GRU, minimal GRU, Elman) with the hand-written backward pass of
            `models.recurrent_bptt`, whose weight gradients are single matrix
            products over all time steps. It runs in training calls with
            `input_projection="sequence"` and `unroll=False`; every other call
            and cell uses automatic differentiation of Keras' loop, the
            reference. False always uses the reference.
        use_cudnn: `"auto"` (default): in training calls on a GPU, run the
            cells and options that cuDNN computes exactly (`LSTMCell`;
            `GRUCell` with `reset_after=True`; default activations, a bias,
            no recurrent dropout, right-padded masks) with Keras' cuDNN
            functions, as `keras.layers.LSTM` does (`models.recurrent_cudnn`).
            Inference calls, and so exports, always run the generic loop and
            hold no cuDNN op. False: never use cuDNN.

    A sequence of zero time steps returns the initial states, zeros as its
    last output (as a fully masked sequence does) or an empty
    `[batch, 0, out]` sequence, and zero gradients.

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
        handwritten_gradient=True,
        use_cudnn="auto",
        **kwargs,
    ):
        if input_projection not in ("sequence", "step"):
            raise ValueError(
                "`input_projection` must be 'sequence' or 'step'. "
                f"Received: input_projection={input_projection!r}"
            )
        if use_cudnn not in ("auto", False):
            raise ValueError(
                f"`use_cudnn` must be 'auto' or False. Received: use_cudnn={use_cudnn!r}"
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
        self.handwritten_gradient = bool(handwritten_gradient)
        self.use_cudnn = use_cudnn

    def call(self, sequences, initial_state=None, mask=None, training=False):
        """`keras.layers.RNN.call`, except that the dropout masks are drawn
        from the shape of the inputs rather than from their first step, so
        that a sequence of zero steps runs."""
        if self.unroll and sequences.shape[1] is None:
            raise ValueError("Cannot unroll a RNN if the time dimension is undefined.")
        if initial_state is None:
            if self.stateful:
                initial_state = self.states
            else:
                initial_state = self.get_initial_state(batch_size=ops.shape(sequences)[0])
        if self.stateful:
            actual, expected = sequences.shape[0], self._expected_batch_size
            if expected is not None and actual is not None and actual != expected:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be "
                    f"the same as the batch size of the initial state. Expected batch "
                    f"size: {expected}. Received batch size: {actual}"
                )
        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        initial_state = [
            backend.convert_to_tensor(s, dtype=self.cell.compute_dtype)
            for s in tree.flatten(initial_state)
        ]
        step_shape = (ops.shape(sequences)[0], sequences.shape[-1])
        self._maybe_config_dropout_masks(
            self.cell, ops.zeros(step_shape, dtype=sequences.dtype), initial_state
        )
        last_output, outputs, states = self.inner_loop(
            sequences=sequences, initial_state=initial_state, mask=mask, training=training
        )
        last_output = ops.cast(last_output, self.compute_dtype)
        outputs = ops.cast(outputs, self.compute_dtype)
        states = [ops.cast(s, self.compute_dtype) for s in states]
        self._maybe_reset_dropout_masks(self.cell)
        if self.stateful:
            for variable, state in zip(tree.flatten(self.states), states, strict=True):
                variable.assign(state)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return output, *states
        return output

    def uses_handwritten_gradient(self, training):
        """Whether a call with this `training` runs the hand-written backward pass."""
        return bool(
            training
            and self.handwritten_gradient
            and self.cell.handwritten_gradient
            and self.input_projection == "sequence"
            and not self.unroll
            and keras.backend.backend() == "tensorflow"
        )

    def uses_cudnn(self, training, masked=False):
        """Whether a call with this `training` (and a mask or not) runs
        Keras' cuDNN function: a training call on a visible GPU, with a cell
        and options cuDNN computes exactly (right padding is checked when
        the graph runs)."""
        zero_masked_outputs = (
            not masked or not self.return_sequences or self.go_backwards
            or self.zero_output_for_mask
        )
        return bool(
            training
            and self.use_cudnn == "auto"
            and not self.unroll
            and keras.backend.backend() == "tensorflow"
            and cudnn_computes(self.cell)
            and zero_masked_outputs
            and gpu_visible()
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        steps = sequences.shape[1]
        if steps == 0:
            return self.empty_sequence(sequences, initial_state)
        if self.uses_cudnn(training, masked=mask is not None):
            run = self.cudnn_loop
        elif self.uses_handwritten_gradient(training):
            return self.handwritten_loop(sequences, initial_state, mask, training)
        else:
            run = self.reference_loop
        if steps is None:  # a length known only when the graph runs, perhaps 0
            return tf.cond(
                tf.shape(sequences)[1] > 0,
                lambda: run(sequences, initial_state, mask, training),
                lambda: self.empty_sequence(sequences, initial_state),
            )
        return run(sequences, initial_state, mask, training)

    def generic_loop(self, sequences, initial_state, mask, training):
        """The loop without cuDNN: hand-written gradient or reference."""
        if self.uses_handwritten_gradient(training):
            return self.handwritten_loop(sequences, initial_state, mask, training)
        return self.reference_loop(sequences, initial_state, mask, training)

    def cudnn_loop(self, sequences, initial_state, mask, training):
        """Keras' cuDNN function; masks that are not right-padded, and a
        missing kernel, fall back to the generic loop."""
        cell = self.cell
        inputs = cell.drop_inputs(sequences, training)  # [B, T, d]

        if mask is not None:
            mask = ops.cast(mask, "bool")  # [B, T]

        def cudnn():
            last_output, outputs, states = cudnn_rnn(
                cell, inputs, list(initial_state), mask=mask, go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
            )
            if not self.return_sequences:
                outputs = last_output  # as the generic loop, for tf.cond
            return last_output, outputs, list(states)

        def generic():
            return self.generic_loop(sequences, initial_state, mask, training)

        try:
            if mask is None:
                return cudnn()
            return tf.cond(right_padded(mask), cudnn, generic)
        except NotImplementedError:  # Keras found no GPU or no cuDNN kernel
            return generic()

    def empty_sequence(self, sequences, initial_state):
        """The result of a zero-step sequence: zeros as the last output, an
        empty sequence, the initial states; every weight gets a zero gradient."""
        cell = self.cell
        batch = ops.shape(sequences)[0]
        zero = sum(
            (ops.sum(ops.cast(ops.reshape(w, (-1,))[:0], cell.compute_dtype))
             for w in cell.trainable_weights),
            ops.zeros((), cell.compute_dtype),
        )  # 0, with a zero gradient for every weight
        size = cell.output_size
        last_output = ops.zeros((batch, size), cell.compute_dtype) + zero
        outputs = ops.zeros((batch, 0, size), cell.compute_dtype) + zero
        states = [s + zero for s in initial_state]
        return last_output, (outputs if self.return_sequences else last_output), states

    def handwritten_loop(self, sequences, initial_state, mask, training):
        cell = self.cell
        inputs = cell.drop_inputs(sequences, training)  # [B, T, d]
        inputs = ops.transpose(inputs, (1, 0, 2))  # [T, B, d]
        projected = cell.project_inputs(inputs)  # [T, B, P]
        if mask is not None:
            mask = ops.transpose(ops.cast(mask, "bool"), (1, 0))  # [T, B]
        if self.go_backwards:  # processing order, as `backend.rnn`
            projected = ops.flip(projected, axis=0)
            mask = None if mask is None else ops.flip(mask, axis=0)
        last_output, outputs, states = handwritten_rnn(
            cell,
            projected,
            list(initial_state),
            mask=mask,
            return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask,
            training=training,
        )
        if self.return_sequences:
            outputs = ops.transpose(outputs, (1, 0, 2))  # [B, T, out]
        return last_output, outputs, states

    def reference_loop(self, sequences, initial_state, mask, training=False):
        """Keras' loop, differentiated automatically: the reference."""
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
        return last_output, outputs, list(states)

    def get_config(self):
        return {
            **super().get_config(),
            "input_projection": self.input_projection,
            "handwritten_gradient": self.handwritten_gradient,
            "use_cudnn": self.use_cudnn,
        }
