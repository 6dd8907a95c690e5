"""The LM task's tf.data batches (`pipeline.tasks.lm.inputs`)."""

import numpy as np
import pytest

from pipeline.tasks.lm import inputs as lm_inputs


def test_lm_contiguous_batches_continue_each_other():
    ids = np.arange(2 + 4 * 31)  # 4 streams of 31 ids (+2 left over)
    batches = list(lm_inputs.contiguous_batches(ids, batch_size=4, sequence_length=5))
    assert len(batches) == 6  # (31 - 1) // 5
    x0, y0 = (t.numpy() for t in batches[0])
    x1, _ = (t.numpy() for t in batches[1])
    assert x0.shape == y0.shape == (4, 5)
    np.testing.assert_array_equal(y0, x0 + 1)  # targets shifted by one
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row b continues row b
    np.testing.assert_array_equal(x0[:, 0], [0, 31, 62, 93])


def test_lm_text_too_short():
    with pytest.raises(ValueError, match="too few"):
        lm_inputs.contiguous_batches(np.arange(10), batch_size=4, sequence_length=5)


def test_lm_encoding_roundtrip():
    vocabulary = lm_inputs.build_vocabulary("hello world")
    ids = lm_inputs.encode_text("hello", vocabulary)
    assert ids.tolist()[2] == ids.tolist()[3]  # the two l's
    assert vocabulary[0] == "l" and vocabulary[1] == "o"  # most frequent first
