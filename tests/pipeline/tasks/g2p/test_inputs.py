"""The G2P task's tf.data batches (`pipeline.tasks.g2p.inputs`)."""

import numpy as np
import tensorflow as tf

from pipeline.data import vocab as vocab_lib
from pipeline.tasks.g2p import inputs as g2p

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


def test_g2p_as_dataset_is_what_batches_read():
    got = list(g2p.as_dataset(G2P).as_numpy_iterator())
    want = list(g2p_dataset(G2P).as_numpy_iterator())
    assert [ex["word"] for ex in got] == [ex["word"] for ex in want]
    assert [ex["phonemes"].tolist() for ex in got] == [ex["phonemes"].tolist() for ex in want]


def test_g2p_reversed_phonemes():
    assert g2p.reversed_phonemes({"cat": ["K AE1 T"]}) == {"cat": ["T AE1 K"]}
