"""The recurrence of `models.Recurrent` with a hand-written backward pass.

Automatic differentiation of a `tf.while_loop` runs, at every step of its
backward loop, the products of the recurrent weights' gradient,
``[u, B] x [B, P]``, and accumulates them. Here the forward loop keeps what
each cell's `step_derivative` needs, one backward loop carries only the state
gradients, and the weight gradients are single matrix products over all time
steps afterwards, ``[u, B*T] x [B*T, P]``: the scheme of cuDNN and oneDNN
(backward propagation through time as in Hamid Beigy, "Deep learning:
Recurrent neural networks", slides 23-40, with the sums over time taken as
one product). The input projection is outside the loop, so its gradient
``[d, B*T] x [B*T, P]`` is one product of automatic differentiation.

Masks, dropout, reversed and zero-length sequences behave exactly as in
Keras' `backend.rnn`, the reference this path is tested against.
"""

import tensorflow as tf
from keras.src import backend  # AutocastScope, the variable casting of mixed precision


def handwritten_rnn(cell, projected, initial_state, mask=None, return_sequences=False,
                    zero_output_for_mask=False, training=False):
    """Runs `cell.step` over the time-major `projected` inputs, with the
    gradient of `cell.step_derivative`.

    Args:
        cell: A `RecurrentCell` whose `handwritten_gradient` is True, and
            whose output is its first state.
        projected: `[T, B, P]`, the projected inputs in processing order (already
            reversed for `go_backwards`).
        initial_state: List of `[B, s]` tensors.
        mask: Optional boolean `[T, B]`: False steps carry the states, and the
            output repeats the previous output (zeros with
            `zero_output_for_mask`), as in `backend.rnn`.
        return_sequences: Return the output of every step.
        zero_output_for_mask: See `mask`.
        training: Whether dropout is active.

    Returns:
        `(last_output [B, u], outputs, states)`: `outputs` is `[T, B, u]` with
        `return_sequences`, else `last_output`. With T = 0 the output is
        zeros, as that of a fully masked sequence, and the states the initial
        states.
    """
    weights = cell.recurrent_weights()
    names = list(weights)
    n_states = len(initial_state)
    recurrent_mask = None
    if training and cell.recurrent_dropout > 0.0:
        # Kept here: the backward pass runs after the layer resets the mask.
        recurrent_mask = cell.get_recurrent_dropout_mask(initial_state[0])

    @tf.custom_gradient
    def recurrence(projected, *args):
        states = list(args[:n_states])
        steps = tf.shape(projected)[0]
        batch = tf.shape(projected)[1]
        dtype = projected.dtype
        # What the cell keeps: names, dtypes and shapes, from a step on zeros.
        probe = {}
        cell.step(tf.zeros([batch, projected.shape[-1]], dtype), states, training, cache=probe)
        # An entry that is another one's tensor (h_rec is h_tm1 without recurrent
        # dropout) is kept once: `keys` are the kept entries, `source[k]` the
        # kept entry that holds entry k.
        keys, source = [], {}
        for k, v in probe.items():
            same = [j for j in keys if probe[j] is v]
            source[k] = same[0] if same else k
            if not same:
                keys.append(k)

        def array(like):  # [T, *like.shape]; read by both loops, so kept after reads
            return tf.TensorArray(like.dtype, size=steps, element_shape=like.shape,
                                  clear_after_read=False)

        inputs_ta = tf.TensorArray(dtype, size=steps).unstack(projected)
        mask_ta = None if mask is None else array(mask[0]).unstack(mask)  # [T, B]
        cache_tas = [array(probe[k]) for k in keys]
        output_tas = [array(states[0])] if return_sequences else []  # [T, B, u]
        zero_output = tf.zeros_like(states[0])

        def body(t, states, previous_output, cache_tas, output_tas):
            cache = {}
            output, new_states = cell.step(inputs_ta.read(t), list(states), training,
                                           cache=cache)
            if mask_ta is not None:
                m = mask_ta.read(t)[:, None]  # [B, 1]
                new_states = [tf.where(m, new, old)
                              for new, old in zip(new_states, states, strict=True)]
                output = tf.where(m, output, zero_output if zero_output_for_mask
                                  else previous_output)
            cache_tas = [ta.write(t, cache[k]) for ta, k in zip(cache_tas, keys, strict=True)]
            output_tas = [ta.write(t, output) for ta in output_tas]
            return t + 1, list(new_states), output, cache_tas, output_tas

        _, final_states, last_output, cache_tas, output_tas = tf.while_loop(
            lambda t, *_: t < steps,
            body,
            (tf.constant(0), states, zero_output, cache_tas, output_tas),
        )
        if mask is None:  # the output is the first state; zeros when T = 0
            last_output = tf.where(steps > 0, final_states[0], zero_output)
        result = output_tas[0].stack() if return_sequences else last_output  # [T, B, u] or [B, u]

        def grad(*d_outputs, variables=None):
            # The backward pass may run outside the layer call: read the
            # weights in the compute dtype, as the forward pass did.
            with backend.AutocastScope(dtype):
                d_inputs = backward(*d_outputs)
            if variables:
                return d_inputs, [None] * len(variables)
            return d_inputs

        def backward(d_result, *d_final):
            d_final = [tf.zeros_like(s) if d is None else d
                       for d, s in zip(d_final, states, strict=True)]
            d_result = tf.zeros_like(result) if d_result is None else d_result
            d_result_ta = (tf.TensorArray(dtype, size=steps).unstack(d_result)
                           if return_sequences else None)
            d_states = list(d_final)
            d_output = tf.zeros_like(zero_output)  # gradient of the output carried back
            if mask is None and not return_sequences:
                d_states[0] = d_states[0] + d_result * tf.cast(steps > 0, dtype)
            elif not return_sequences:
                d_output = d_result
            constants = {"recurrent_kernel_t": tf.transpose(weights_in["recurrent_kernel"])}
            if recurrent_mask is not None:
                constants["recurrent_mask"] = recurrent_mask
            # Names, dtypes and shapes of what the cell's derivative returns.
            probe_cache = {**probe, **constants}
            d_probe = cell.step_derivative(probe_cache, d_states, training)
            d_weight_names = list(d_probe[3])

            def per_step(d_projected, d_recurrent, d_weights):
                """What the backward loop keeps of a step, in a flat list."""
                return [d_projected, *d_recurrent, *(d_weights[n] for n in d_weight_names)]

            # A tensor the cell returns twice (the LSTM's dz is both the
            # projected and the recurrent gradient) is kept once: `slot[j]` is
            # where the j-th per-step gradient is stored.
            kept, slot = [], []
            for d in per_step(d_probe[0], d_probe[2], d_probe[3]):
                same = [k for k, e in enumerate(kept) if e is d]
                slot.append(same[0] if same else len(kept))
                if not same:
                    kept.append(d)
            kept_tas = [array(d) for d in kept]  # [T, B, w] each

            def back(i, d_states, d_output, kept_tas):
                t = steps - 1 - i
                kept = {k: ta.read(t) for k, ta in zip(keys, cache_tas, strict=True)}
                cache = {k: kept[j] for k, j in source.items()}
                cache.update(constants)
                d_out = d_output
                if d_result_ta is not None:
                    d_out = d_out + d_result_ta.read(t)
                if mask_ta is not None:
                    m = tf.cast(mask_ta.read(t)[:, None], dtype)  # [B, 1]
                    d_new = [d * m for d in d_states]
                    d_new[0] = d_new[0] + d_out * m
                    carried = [d - d * m for d in d_states]
                    d_output = tf.zeros_like(d_out) if zero_output_for_mask else d_out - d_out * m
                else:
                    d_new = list(d_states)
                    if d_result_ta is not None:
                        d_new[0] = d_new[0] + d_out
                d_projected, d_tm1, d_recurrent, d_weights = cell.step_derivative(
                    cache, d_new, training)
                if mask_ta is not None:
                    d_tm1 = [a + b for a, b in zip(d_tm1, carried, strict=True)]
                produced = per_step(d_projected, d_recurrent, d_weights)
                kept_tas = [ta.write(t, produced[slot.index(k)])
                            for k, ta in enumerate(kept_tas)]
                return i + 1, list(d_tm1), d_output, kept_tas

            _, d_initial, _, kept_tas = tf.while_loop(
                lambda i, *_: i < steps, back, (tf.constant(0), d_states, d_output, kept_tas)
            )
            stacks = [kept_tas[k].stack() for k in slot]  # [T, B, w], as per_step() lists them
            d_projected, stacks = stacks[0], stacks[1:]
            d_recurrent = stacks[: len(cell.recurrent_operands)]
            d_weights = dict(zip(d_weight_names, stacks[len(d_recurrent):], strict=True))
            # The weight gradients: one product per operand over all steps.
            flat = lambda x: tf.reshape(x, [-1, x.shape[-1]])  # [T*B, w]  # noqa: E731
            operands = {k: cache_tas[keys.index(j)] for k, j in source.items()}
            d_kernel = tf.concat(
                [
                    tf.matmul(flat(operands[k].stack()), flat(d), transpose_a=True)
                    for k, d in zip(cell.recurrent_operands, d_recurrent, strict=True)
                ],
                axis=1,
            )  # [u, T*B] x [T*B, w] -> [u, P]
            d_weight_list = [
                d_kernel if n == "recurrent_kernel"
                else tf.reshape(tf.reduce_sum(d_weights[n], axis=[0, 1]), tf.shape(weights_in[n]))
                for n in names
            ]
            return [d_projected, *d_initial, *d_weight_list]

        outputs = [result, *final_states]
        return outputs, grad

    weights_in = {n: tf.convert_to_tensor(w) for n, w in weights.items()}
    result, *states = recurrence(projected, *initial_state, *[weights_in[n] for n in names])
    last_output = result
    if return_sequences:
        # The last output of an empty sequence is zeros, as that of a fully masked one.
        last_output = tf.cond(tf.shape(result)[0] > 0, lambda: result[-1],
                              lambda: tf.zeros_like(states[0]))
    return last_output, result, states
