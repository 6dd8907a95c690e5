"""Gradient flow through time: the hidden states of a recurrence made
visible, and the regulariser of Pascanu, Mikolov and Bengio (2013).

`models.Recurrent` keeps its per-step states inside a `tf.while_loop`, where
no gradient can reach them one by one. `unroll` runs the same cell over the
same inputs with the same loop, adds a perturbation `eps_t` (zeros) to every
state after every step and returns all the states, so that

    dL/dh_t = dL/d eps_t

is one `tape.gradient(loss, perturbations)`: the quantity of Beigy, "Deep learning: Recurrent neural
networks" slide 34, ``dL/dh(t) = dL/dh(T) prod_k D_(k+1) W^T``, at every step t at once.

`flow_penalty` is eq. (9) of Pascanu et al. (2013), the remedy for vanishing
gradients of Beigy, "Deep learning: Recurrent neural networks", slide 55: with ``g_(k+1) =
dL/dh_(k+1)``,

    Omega = sum_k ( ||g_(k+1) dh_(k+1)/dh_k|| / ||g_(k+1)|| - 1 )^2

which asks every step to pass the error signal back with its norm kept. As
in the paper (section 3.3) `g_(k+1)`, the previous states and the inputs are
treated as constants: only the immediate dependence of the step Jacobian on
the weights is differentiated.

References:
    Pascanu, Mikolov and Bengio, "On the difficulty of training recurrent
    neural networks", ICML 2013, section 3.3, eq. (9).
    https://arxiv.org/abs/1211.5063
"""

import itertools

import tensorflow as tf
from keras import ops
from keras.src import backend  # the loop `models.Recurrent` runs; pinned keras


def unroll(cell, sequences, perturbations=None, training=False):
    """Runs `cell` over `sequences` and returns every state of every step.

    The outputs equal those of `Recurrent(cell, return_sequences=True)` (no
    mask, forwards). Every rnnlab cell outputs its first state (`h`), so the
    perturbation of the first state also reaches the output.

    It computes in the cell's variable dtype (float32 under a mixed
    policy), so small error signals do not flush to zero in float16; call it
    outside a layer's `call`, where the variables are not autocast.

    Args:
        cell: a built `models.cells.RecurrentCell`.
        sequences: `[B, T, d]`.
        perturbations: optional list, one `[B, T, s]` tensor per state of
            `cell.state_size`, added to the states after each step; zeros
            give the gradients of the loss w.r.t. the states.
        training: whether the cell runs in training mode.

    Returns:
        `(outputs [B, T, out], states)`: `states` a list with one `[B, T, s]`
        tensor per state tensor (`[h]`, or `[h, c]` for the LSTMs), the
        perturbed states, as the following steps and the output see them.
    """
    dtype = cell.variable_dtype
    sequences = ops.cast(sequences, dtype)
    batch, time = ops.shape(sequences)[0], ops.shape(sequences)[1]
    if perturbations is None:
        perturbations = zero_perturbations(cell, batch, time, dtype)
    projected = cell.project_inputs(cell.drop_inputs(sequences, training))  # [B, T, P]
    width = projected.shape[-1]
    ends = list(itertools.accumulate(cell.state_size, initial=width))
    bounds = list(zip(ends[:-1], ends[1:], strict=True))  # each state's slice of the input
    # One loop input: [B, T, P + sum(s)], the projections and the perturbations side by side.
    inputs = ops.concatenate([projected] + [ops.cast(e, projected.dtype) for e in perturbations],
                             axis=-1)

    def step(inputs_t, states):  # [B, P + sum(s)], [[B, s], ...]
        z_t = inputs_t[:, :width]  # [B, P]
        eps_t = [inputs_t[:, a:b] for a, b in bounds]  # [[B, s], ...]
        output, new_states = cell.step(z_t, list(states), training=training)
        if output is not new_states[0]:
            raise ValueError(f"`unroll` needs a cell whose output is its first state. "
                             f"Received: cell={cell.name}")
        new_states = [s + ops.cast(e, s.dtype) for s, e in zip(new_states, eps_t, strict=True)]
        return tuple(new_states), new_states

    _, states, _ = backend.rnn(step, inputs, initial_states(cell, batch),
                               time_major=False, return_all_outputs=True)
    states = list(states)  # each [B, T, s]
    return states[0], states


def initial_states(cell, batch):
    """The cell's initial states in its variable dtype."""
    return [ops.cast(s, cell.variable_dtype) for s in cell.get_initial_state(batch)]


def zero_perturbations(cell, batch, time, dtype="float32"):
    """One zero `[B, T, s]` tensor per state of `cell`."""
    return [ops.zeros((batch, time, size), dtype=dtype) for size in cell.state_size]


def state_gradients(cell, sequences, loss_fn, training=False):
    """`(loss, states, grads)`: the states of `unroll` and the gradient of
    `loss_fn(outputs)` w.r.t. every state at every step, `dL/ds_t`, each
    `[B, T, s]` (Beigy, "Deep learning: Recurrent neural networks", slides 34-35).

    `loss_fn` maps the `[B, T, out]` outputs of `unroll` to a scalar.
    """
    batch, time = ops.shape(sequences)[0], ops.shape(sequences)[1]
    zeros = zero_perturbations(cell, batch, time, cell.variable_dtype)
    with tf.GradientTape() as tape:
        tape.watch(zeros)
        outputs, states = unroll(cell, sequences, zeros, training=training)
        loss = loss_fn(outputs)
    grads = tape.gradient(loss, zeros, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return loss, states, grads


def flow_penalty(cell, sequences, states, state_grads, epsilon=1e-7):
    """Omega of Pascanu et al. (2013) eq. (9), divided by the length T.

    Args:
        cell: the cell that produced `states`.
        sequences: `[B, T, d]`, the cell's inputs.
        states: list of `[B, T, s]`, the states after each step (`unroll`).
        state_grads: list of `[B, T, s]`, `dL/ds_t` for the same states.
        epsilon: added to `||g||` so that steps with no error signal give
            a constant term, not a division by zero.

    Returns:
        A float32 scalar: the mean over the batch and the T steps of
        ``(||g_(k+1) J_(k+1)|| / ||g_(k+1)|| - 1)^2``, with ``J_(k+1) =
        dh_(k+1)/dh_k`` the Jacobian of the full state (h and c for the
        LSTMs). Differentiable w.r.t. the cell's weights only; the states,
        inputs and `g` are constants (section 3.3 of the paper). The mean
        instead of the paper's sum keeps the weight independent of T.
    """
    sequences = ops.cast(sequences, cell.variable_dtype)
    batch = ops.shape(sequences)[0]
    initial = initial_states(cell, batch)
    # h_k for k = 0 .. T-1: the initial state, then all but the last state.
    previous = [ops.concatenate([ops.expand_dims(h0, 1), ops.stop_gradient(s[:, :-1])], axis=1)
                for h0, s in zip(initial, states, strict=True)]  # [B, T, s] each
    previous = [ops.reshape(p, (-1, p.shape[-1])) for p in previous]  # [B*T, s]
    grads = [ops.reshape(ops.stop_gradient(g), (-1, g.shape[-1])) for g in state_grads]
    projected = ops.stop_gradient(cell.project_inputs(sequences))  # [B, T, P]
    projected = ops.reshape(projected, (-1, projected.shape[-1]))  # [B*T, P]
    with tf.GradientTape() as tape:  # the outer tape (training) sees this one's gradient
        tape.watch(previous)
        _, new_states = cell.step(projected, list(previous))  # all steps at once: [B*T, s]
    # g_(k+1) J_(k+1): one vector-Jacobian product per step, [B*T, s] each.
    pulled = tape.gradient(new_states, previous, output_gradients=grads,
                           unconnected_gradients=tf.UnconnectedGradients.ZERO)

    def norm(tensors):
        return ops.sqrt(sum(ops.sum(ops.square(ops.cast(t, "float32")), axis=-1)
                            for t in tensors))  # [B*T]

    ratio = norm(pulled) / (norm(grads) + epsilon)
    return ops.mean(ops.square(ratio - 1.0))


def flow_penalty_of_loss(cell, sequences, loss_fn, training=True):
    """`flow_penalty` for the loss `loss_fn(outputs)` of the outputs of
    `cell` over `sequences`: `state_gradients`, then eq. (9)."""
    _, states, grads = state_gradients(cell, sequences, loss_fn, training=training)
    return flow_penalty(cell, sequences, states, grads)


__all__ = ["flow_penalty", "flow_penalty_of_loss", "initial_states", "state_gradients", "unroll",
           "zero_perturbations"]
