"""`models.decoding.rerank` against a NumPy transcription, with impossible
beams, under XLA, and the teacher-forced `Seq2Seq.sequence_log_probs` it is
fed with against a step-by-step decoding."""

import numpy as np
import pytest
import tensorflow as tf

from models.decoding import rerank


def table_scorer(table):
    """A scorer that returns fixed log-probabilities `[N]`, checking it got
    the flattened hypotheses."""
    def score(ids, lengths, ended):
        assert len(ids.shape) == 2 and len(lengths.shape) == 1 and ended.dtype == tf.bool
        return tf.constant(table, tf.float32)
    return score


def reference(lengths, steps, tables, weights, alpha):
    """The docstring's rule: sum_i w_i log P_i / lp(|Y|), |Y| counting the
    end token of the hypotheses shorter than `steps`."""
    total = sum(w * np.asarray(t) for t, w in zip(tables, weights, strict=True))
    lp = ((5.0 + lengths.reshape(-1) + (lengths.reshape(-1) < steps)) / 6.0) ** alpha
    return (total / lp).reshape(lengths.shape)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_matches_numpy_reference(alpha):
    rng = np.random.default_rng(0)
    batch, width, steps = 3, 4, 5
    ids = rng.integers(3, 9, size=(batch, width, steps)).astype("int32")
    lengths = rng.integers(1, steps + 1, size=(batch, width)).astype("int32")
    tables = [rng.normal(-5, 2, size=batch * width) for _ in range(3)]
    weights = [0.25, 0.25, 0.5]
    beam = np.zeros((batch, width), "float32")
    got_ids, got_scores, got_lengths = rerank(
        tf.constant(ids), tf.constant(lengths), tf.constant(beam),
        [table_scorer(t) for t in tables], weights, alpha)
    want = reference(lengths, steps, tables, weights, alpha)
    order = np.argsort(-want, axis=1, kind="stable")
    np.testing.assert_allclose(got_scores.numpy(), np.take_along_axis(want, order, 1),
                               rtol=1e-5)
    np.testing.assert_array_equal(got_ids.numpy(), np.take_along_axis(ids, order[..., None], 1))
    np.testing.assert_array_equal(got_lengths.numpy(), np.take_along_axis(lengths, order, 1))


def test_impossible_beams_stay_last():
    ids = tf.constant([[[5, 0], [6, 0], [7, 0]]], tf.int32)  # [1, 3, 2]
    lengths = tf.constant([[1, 1, 1]], tf.int32)
    beam = tf.constant([[-1.0, float("-inf"), -2.0]])
    # the rescorer prefers the impossible beam; it must stay last anyway
    got_ids, got_scores, _ = rerank(ids, lengths, beam, [table_scorer([-3.0, -0.1, -2.0])],
                                    [1.0], alpha=0.0)
    assert got_ids.numpy()[0, :, 0].tolist() == [7, 5, 6]
    assert got_scores.numpy()[0, 2] == -np.inf


def test_compiles_under_xla():
    ids = tf.constant(np.arange(24).reshape(2, 3, 4) % 7 + 1, tf.int32)
    lengths = tf.constant([[4, 2, 3], [1, 4, 2]], tf.int32)
    beam = tf.zeros([2, 3])

    def scorer(tokens, token_lengths, ended):  # any in-graph function of the hypotheses
        return -tf.cast(tf.reduce_sum(tokens, 1) + token_lengths, tf.float32) - tf.cast(
            ended, tf.float32)

    def run(ids, lengths, beam):
        return rerank(ids, lengths, beam, [scorer], [1.0], alpha=0.6)

    eager = run(ids, lengths, beam)
    compiled = tf.function(run, jit_compile=True)(ids, lengths, beam)
    for a, b in zip(eager, compiled, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_rejects_mismatched_weights():
    with pytest.raises(ValueError, match="scorers"):
        rerank(tf.zeros([1, 2, 3], tf.int32), tf.ones([1, 2], tf.int32), tf.zeros([1, 2]),
               [table_scorer([0.0, 0.0])], [0.5, 0.5])


def test_sequence_log_probs_equal_the_stepwise_decoder():
    """Teacher forcing over whole sequences scores what the step function
    scores one token at a time, the end token included."""
    from models.seq2seq import Seq2Seq

    tf.random.set_seed(3)
    model = Seq2Seq(12, 9, embedding_dim=8, units=8, decoder_units=8)
    start_id, end_id = 3, 2
    graphemes = tf.constant([[4, 5, 6, 0], [7, 8, 9, 10]], tf.int32)
    ids = tf.constant([[4, 5, 6, 8], [7, 4, 1, 1]], tf.int32)  # after the length: ignored
    lengths = tf.constant([4, 2], tf.int32)
    got = model.sequence_log_probs(graphemes, ids, lengths, start_id, end_id).numpy()
    unfinished = model.sequence_log_probs(graphemes, ids, lengths, start_id, end_id,
                                          ended=tf.constant([False, True])).numpy()

    state = model.initial_decoder_state(graphemes)
    previous = tf.fill([2], start_id)
    want, ends = np.zeros(2), np.zeros(2)
    for t in range(5):
        logits, state = model.decoder_step(previous, state, tf.constant(t))
        log_probs = tf.nn.log_softmax(logits).numpy()
        for n in range(2):
            if t < lengths[n]:
                want[n] += log_probs[n, ids[n, t]]
            elif t == lengths[n]:
                want[n] += log_probs[n, end_id]
                ends[n] = log_probs[n, end_id]
        previous = ids[:, t] if t < 4 else previous
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(unfinished, [want[0] - ends[0], want[1]], rtol=1e-5)
    # two targets per source, the source encoded once: the same scores
    twice = model.sequence_log_probs(graphemes, tf.repeat(ids, 2, axis=0),
                                     tf.repeat(lengths, 2, axis=0), start_id, end_id,
                                     repeats=2).numpy()
    np.testing.assert_allclose(twice, np.repeat(want, 2), rtol=1e-5)
