"""Batch shapes and contents of the task input pipelines."""

import numpy as np
import pytest
import tensorflow as tf

from pipeline.inputs import classify, forecast, lm


def test_lm_contiguous_batches_continue_each_other():
    ids = np.arange(2 + 4 * 31)  # 4 streams of 31 ids (+2 left over)
    batches = list(lm.contiguous_batches(ids, batch_size=4, sequence_length=5))
    assert len(batches) == 6  # (31 - 1) // 5
    x0, y0 = (t.numpy() for t in batches[0])
    x1, _ = (t.numpy() for t in batches[1])
    assert x0.shape == y0.shape == (4, 5)
    np.testing.assert_array_equal(y0, x0 + 1)  # targets shifted by one
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row b continues row b
    np.testing.assert_array_equal(x0[:, 0], [0, 31, 62, 93])


def test_lm_text_too_short():
    with pytest.raises(ValueError, match="too few"):
        lm.contiguous_batches(np.arange(10), batch_size=4, sequence_length=5)


def test_lm_encoding_roundtrip():
    vocabulary = lm.build_vocabulary("hello world")
    ids = lm.encode_text("hello", vocabulary)
    assert ids.tolist()[2] == ids.tolist()[3]  # the two l's
    assert vocabulary[0] == "l" and vocabulary[1] == "o"  # most frequent first


def test_classify_batches():
    data = tf.data.Dataset.from_tensor_slices((["hallo", "hello", "bonjour zut"],
                                              ["de", "en", "fr"]))
    vocabulary = classify.build_vocabulary(["hallo", "hello", "bonjour"])
    (ids, labels), = list(classify.batches(data, vocabulary, ["en", "fr", "de"],
                                           batch_size=3, max_length=7))
    assert ids.shape == (3, 7)
    assert sorted(labels.numpy().tolist()) == [0, 1, 2]
    words = classify.batches(data, classify.build_vocabulary(["bonjour zut"], unit="word"),
                             ["en", "fr", "de"], unit="word", batch_size=3)
    assert max(b[0].shape[1] for b in words) == 2


def test_forecast_windows_never_cross_into_the_future():
    series = np.arange(100, dtype="float32")
    hist, targ = forecast.windows(series, 90, 100, history=12, horizon=3)
    assert hist.shape == (8, 12) and targ.shape == (8, 3)
    assert targ.min() >= 90 and targ.max() <= 99
    np.testing.assert_array_equal(hist[:, -1] + 1, targ[:, 0])
    (x, y), *_ = list(forecast.batches(hist, targ, batch_size=4))
    assert x.shape == (4, 12, 1) and y.shape == (4, 3)


def test_forecast_normalizer_uses_training_only():
    mean, std = forecast.fit_normalizer([1.0, 3.0])
    assert (mean, std) == (2.0, 1.0)
