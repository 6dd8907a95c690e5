"""The cuDNN kernels of `models.Recurrent`, through Keras' own functions.

On a GPU, `keras.layers.LSTM` and `keras.layers.GRU` run NVIDIA's fused
kernels through `keras.src.backend.tensorflow.rnn.lstm` and `.gru`. `Recurrent`
calls the same functions for the cells and options that these kernels compute
exactly, in training calls only: a SavedModel is traced from inference calls
(`training=False`), which run the generic loop, so that an export made on a
GPU holds no `CudnnRNN*` op and loads and answers on any device (the bug of
keras-team/keras issue #18504, "LSTM trained on GPU cannot be served on
CPU").

Exact means: `LSTMCell` itself (the peephole and coupled-gate variants are
other equations) or `GRUCell` with `reset_after=True`; tanh and sigmoid, a
bias, no recurrent dropout (input dropout is applied to the inputs first);
masks only when they are right-padded, checked when the graph runs, with the
generic loop otherwise; and, with a mask and `return_sequences`, outputs of
zeros at the masked steps, which cuDNN writes (`zero_output_for_mask=True`,
or `go_backwards`, where the masked steps come first).

References:
    Appleyard, Kocisky and Blunsom, "Optimizing performance of recurrent
    neural networks on GPUs", arXiv:1604.01946, 2016.
"""

import importlib

import tensorflow as tf

from models.cells.gru_cell import GRUCell
from models.cells.lstm_cell import LSTMCell

# Keras' cuDNN functions (the module; its package exports a function `rnn`). Pinned keras.
tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")


def cudnn_computes(cell):
    """Whether the cuDNN kernels compute `cell`'s equations exactly, with the
    cell's options (a GPU aside): True for `LSTMCell` and `GRUCell`
    (`reset_after=True`) with default activations, a bias and no recurrent
    dropout."""
    if type(cell) is LSTMCell:
        reset_after = None
    elif type(cell) is GRUCell and cell.reset_after:
        reset_after = True
    else:
        return False
    if cell.recurrent_dropout > 0.0:
        return False
    # `cudnn_ok` also asks for a visible GPU; the arguments alone here.
    check = (tf_rnn._do_lstm_arguments_support_cudnn if reset_after is None
             else tf_rnn._do_gru_arguments_support_cudnn)
    kwargs = {} if reset_after is None else {"reset_after": True}
    return check(cell.activation, cell.recurrent_activation, unroll=False,
                 use_bias=cell.use_bias, **kwargs)


def gpu_visible():
    """Whether TensorFlow sees a GPU (Keras' own test, in `cudnn_ok`)."""
    return tf_rnn._is_gpu_available()


def cudnn_rnn(cell, inputs, initial_state, mask=None, go_backwards=False,
              return_sequences=False):
    """Runs `cell` over batch-major `inputs [B, T, d]` (dropout applied) with
    Keras' cuDNN function; returns `(last_output, outputs, states)` as Keras'
    `backend.rnn`.

    Raises:
        NotImplementedError: when Keras finds no GPU or no cuDNN kernel.
    """
    common = dict(
        mask=mask,
        kernel=cell.kernel,
        recurrent_kernel=cell.recurrent_kernel,
        bias=cell.bias,
        activation=cell.activation,
        recurrent_activation=cell.recurrent_activation,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        unroll=False,
        time_major=False,
    )
    if isinstance(cell, LSTMCell):
        h0, c0 = initial_state
        return tf_rnn.lstm(inputs, h0, c0, **common)
    return tf_rnn.gru(inputs, initial_state[0], reset_after=True, **common)


def right_padded(mask):
    """Whether the boolean `[B, T]` mask is right-padded with no empty
    sequence: what cuDNN's sequence lengths can express."""
    return tf.logical_and(tf_rnn._is_sequence_right_padded(mask),
                          tf.logical_not(tf_rnn._has_fully_masked_sequence(mask)))
