"""`pipeline.core.export.chunked`: a large request answered in slices of
bounded size, the answers the same as in one call (issue 33 item 2)."""

import numpy as np
import tensorflow as tf

from pipeline.core.export import chunked

SIZE = 3


def double(history, scale):
    tf.debugging.assert_less_equal(tf.shape(history)[0], SIZE)  # never more rows at once
    return {"forecast": history * scale, "label": tf.strings.as_string(history[:, 0])}


SERVE = tf.function(chunked(double, SIZE, batched=("history",)),
                    input_signature=[tf.TensorSpec([None, 2], tf.float32, name="history"),
                                     tf.TensorSpec([], tf.float32, name="scale")])


def test_a_large_batch_is_answered_in_slices_with_the_same_answers():
    history = np.arange(20, dtype="float32").reshape(10, 2)
    answer = SERVE(history=tf.constant(history), scale=tf.constant(2.0))
    np.testing.assert_array_equal(answer["forecast"].numpy(), history * 2)
    assert [s.decode() for s in answer["label"].numpy()] == [f"{v:f}" for v in history[:, 0]]


def test_a_small_and_an_empty_batch_are_one_call():
    for rows in (0, 1, SIZE):
        history = np.ones((rows, 2), "float32")
        answer = SERVE(history=tf.constant(history), scale=tf.constant(1.0))
        assert answer["forecast"].shape == (rows, 2) and answer["label"].shape == (rows,)


def test_the_answers_keep_their_rank_and_inner_sizes():
    """A signature's outputs need a known shape: `[None, 2]` and `[None]`."""
    outputs = SERVE.get_concrete_function().structured_outputs
    assert outputs["forecast"].shape.as_list() == [None, 2]
    assert outputs["label"].shape.as_list() == [None]
