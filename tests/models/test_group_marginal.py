"""`models.decoding.group_marginal`: classes of tokens scored by their summed
probability, against a NumPy transcription, with ties, masked tokens, under
XLA, and in a beam search whose answer it changes."""

import numpy as np
import pytest
import tensorflow as tf

from models.decoding import BeamSearchDecoder, group_marginal
from models.decoding.group_marginal import EXCLUDED


def reference(log_probs, groups):
    """The docstring's rule, row by row and class by class."""
    out = np.full(log_probs.shape, EXCLUDED, "float64")
    for n, row in enumerate(log_probs):
        for g in set(groups):
            members = [v for v in range(len(groups)) if groups[v] == g]
            best = max(members, key=lambda v: (row[v], -v))  # first on ties
            out[n, best] = np.log(np.sum(np.exp(row[members])))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    groups = ["pad", "A", "A", "B", "C", "C", "C", "D"]
    logits = rng.normal(size=(5, len(groups)))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    out = group_marginal(tf.constant(log_probs, tf.float32), groups).numpy()
    np.testing.assert_allclose(out, reference(log_probs, groups), rtol=1e-5, atol=1e-5)
    kept = out > EXCLUDED / 2
    # one token per class survives, and the classes' probabilities still sum to 1
    assert (kept.sum(-1) == len(set(groups))).all()
    np.testing.assert_allclose(np.exp(np.where(kept, out, -np.inf)).sum(-1), 1.0, rtol=1e-5)


def test_singleton_classes_change_nothing():
    log_probs = np.log(np.array([[0.1, 0.2, 0.3, 0.4]], "float32"))
    out = group_marginal(tf.constant(log_probs), [0, 1, 2, 3]).numpy()
    np.testing.assert_allclose(out, log_probs, rtol=1e-6)


def test_ties_keep_the_first_member():
    log_probs = np.log(np.array([[0.25, 0.25, 0.25, 0.25]], "float32"))
    out = group_marginal(tf.constant(log_probs), [7, 7, 9, 9]).numpy()[0]
    np.testing.assert_allclose(out[[0, 2]], np.log(0.5), rtol=1e-6)
    assert (out[[1, 3]] == EXCLUDED).all()


def test_masked_tokens_stay_masked_and_finite():
    log_probs = np.array([[EXCLUDED, np.log(0.5), np.log(0.5), EXCLUDED]], "float32")
    out = group_marginal(tf.constant(log_probs), [0, 1, 1, 1]).numpy()[0]
    assert np.isfinite(out).all()
    assert out[0] <= EXCLUDED and out[3] == EXCLUDED
    np.testing.assert_allclose(out[1], 0.0, atol=1e-6)


def test_compiles_under_xla():
    groups = [0, 1, 1, 2]
    log_probs = tf.math.log_softmax(tf.random.stateless_normal([3, 4], seed=[1, 2]))
    compiled = tf.function(lambda x: group_marginal(x, groups), jit_compile=True)
    np.testing.assert_allclose(compiled(log_probs), group_marginal(log_probs, groups),
                               rtol=1e-6)


def test_beam_search_chooses_the_class_with_more_mass():
    """One step: X1 and X2 (one class X) hold 0.3 each, Y 0.4. Plain search
    emits Y; over classes it emits X as X1, its likelier member on ties."""
    end, x1, y = 1, 2, 4  # X2 is id 3
    first = np.log(np.array([1e-9, 1e-9, 0.3, 0.3, 0.4 - 2e-9], "float32"))
    then_end = np.log(np.array([1e-9, 1.0 - 4e-9, 1e-9, 1e-9, 1e-9], "float32"))
    table = tf.constant(np.stack([first, then_end]))  # [2, V]
    classes = ["pad", "end", "X", "X", "Y"]

    def step(ids, state, t, marginal):
        scores = tf.tile(table[t][None], [tf.shape(ids)[0], 1])
        return (group_marginal(scores, classes) if marginal else scores), state

    decoder = BeamSearchDecoder(2, max_length=2, end_id=end, length_penalty=0.0)
    start = tf.constant([0])
    plain, _, plain_len = decoder(lambda i, s, t: step(i, s, t, False), tf.zeros([1]), start)
    joint, score, joint_len = decoder(lambda i, s, t: step(i, s, t, True), tf.zeros([1]), start)
    assert plain.numpy()[0, 0].tolist() == [y, 0] and plain_len.numpy()[0, 0] == 1
    assert joint.numpy()[0, 0].tolist() == [x1, 0] and joint_len.numpy()[0, 0] == 1
    np.testing.assert_allclose(score.numpy()[0, 0], np.log(0.6), rtol=1e-5)
