"""Batch shapes and contents of the task input pipelines."""

import numpy as np
import pytest
import tensorflow as tf

from pipeline.data import vocab as vocab_lib
from pipeline.inputs import forecast, g2p, lm

G2P = {"cat": ["K AE1 T"], "dog": ["D AO1 G"], "read": ["R IY1 D", "R EH1 D"],
       "a": ["AH0", "EY1"], "antidisestablishment": ["AE2 N T IY0 D IH0 S"]}


def g2p_dataset(entries):
    words = list(entries)
    prons = tf.ragged.constant([entries[w] for w in words])
    return tf.data.Dataset.from_tensor_slices({"word": words, "phonemes": prons})


def test_g2p_vocabularies_reserve_start_and_end():
    vocabs = g2p.build_vocabularies(G2P)
    assert vocabs["phonemes"][:2] == [g2p.START, g2p.END]
    assert set(vocabs["graphemes"]) == set("catdogreadntisblhm")


def test_g2p_without_stress_strips_digits_and_merges_what_becomes_equal():
    entries = {"either": ["IY1 DH ER0", "IY2 DH ER0", "AY1 DH ER0"], "b": ["B IY1"]}
    assert g2p.without_stress(entries) == {"either": ["IY DH ER", "AY DH ER"], "b": ["B IY"]}
    assert entries["b"] == ["B IY1"]  # the input is left alone


def test_g2p_batches_teacher_forcing_and_padding():
    vocabs = g2p.build_vocabularies(G2P)
    batches = list(g2p.batches(g2p_dataset(G2P), vocabs, batch_size=3, boundaries=(4,)))
    examples = sum(int(t.shape[0]) for _, t in batches)
    assert examples == 7  # one example per pronunciation
    lookup = vocab_lib.lookup(vocabs["phonemes"], invert=True)
    for features, targets in batches:
        src, dec = features["graphemes"].numpy(), features["decoder_inputs"].numpy()
        assert src.ndim == 2 and dec.shape == targets.shape
        start = vocabs["phonemes"].index(g2p.START) + 2  # ids 0, 1: padding, OOV
        assert (dec[:, 0] == start).all()
        for row_in, row_out in zip(dec, targets.numpy(), strict=True):
            real = row_out[row_out > 0]
            # decoder input is the target shifted right by one (teacher forcing)
            np.testing.assert_array_equal(row_in[1 : len(real)], real[:-1])
            assert lookup(real[-1:]).numpy()[0].decode() == g2p.END
        # bucketing keeps short and long words apart
        lengths = (src > 0).sum(axis=1)
        assert lengths.max() < 4 or lengths.min() >= 4


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
