"""The `cmudict_g2p` TFDS builder (`pipeline.tasks.g2p.dataset`) prepared
from small fake data without the network: split sizes follow the word hash,
no word appears in two splits, the features and the metadata are as the
builder documents."""

import collections

import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS, keyed_split
from pipeline.tasks.g2p.dataset import CmudictG2p, clean_entries
from tests.pipeline.tasks.builder_test import num_examples, prepare, read_splits, text

FAKE_CMUDICT = {
    "cat": ["K AE1 T"],
    "read": ["R EH1 D", "R IY1 D"],
    "live": ["L AY1 V", "L IH1 V"],
    "tomato": ["T AH0 M EY1 T OW2", "T AH0 M AA1 T OW2", "T AH0 M EY1 T OW2"],
    "don't": ["D OW1 N T"],
    "o'clock": ["AH0 K L AA1 K"],
    "tree": ["T R IY1"],
    "star": ["S T AA1 R"],  # crc32 % 20 == 0: test
    "door": ["D AO1 R"],  # crc32 % 20 == 1: validation
    "rain": ["R EY1 N"],  # validation
    "grape": ["G R EY1 P"],  # validation
    # Dropped: outside [a-z']+, or no pronunciation at all.
    "3d": ["TH R IY1 D IY1"],
    "a.m.": ["EY2 EH1 M"],
    "café": ["K AE0 F EY1"],
    "x-ray": ["EH1 K S R EY2"],
    "New": ["N UW1"],
    "hmm": [],
}
DROPPED_WORDS = {"3d", "a.m.", "café", "x-ray", "New", "hmm"}


@pytest.fixture(scope="module")
def cmudict(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("cmudict")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CmudictG2p, "source", staticmethod(lambda: dict(FAKE_CMUDICT)))
        builder = prepare(CmudictG2p(data_dir=data_dir))
    return builder, read_splits(builder)


def test_cmudict_split_sizes_follow_the_word_hash(cmudict):
    builder, examples = cmudict
    kept = sorted(set(FAKE_CMUDICT) - DROPPED_WORDS)
    expected = collections.Counter(keyed_split(word) for word in kept)
    assert num_examples(builder) == {split: expected[split] for split in SPLITS}
    assert num_examples(builder) == {"train": 7, "validation": 3, "test": 1}
    assert {split: len(items) for split, items in examples.items()} == num_examples(builder)
    for split, items in examples.items():
        assert {keyed_split(text(ex["word"])) for ex in items} == {split}


def test_cmudict_features(cmudict):
    builder, examples = cmudict
    features = builder.info.features
    assert isinstance(features["word"], tfds.features.Text)
    assert isinstance(features["phonemes"], tfds.features.Sequence)
    assert features.dtype == {"word": tf.string, "phonemes": tf.string}
    assert features.shape == {"word": (), "phonemes": (None,)}
    example = examples["test"][0]
    assert text(example["word"]) == "star"
    assert [text(p) for p in example["phonemes"]] == ["S T AA1 R"]


def test_cmudict_every_word_once_with_all_its_pronunciations(cmudict):
    _, examples = cmudict
    words = [text(ex["word"]) for items in examples.values() for ex in items]
    assert len(words) == len(set(words))  # no word in two splits, nor twice in one
    assert set(words) == set(FAKE_CMUDICT) - DROPPED_WORDS
    phonemes = {text(ex["word"]): [text(p) for p in ex["phonemes"]]
                for items in examples.values() for ex in items}
    assert phonemes["read"] == ["R EH1 D", "R IY1 D"]
    assert phonemes["live"] == ["L AY1 V", "L IH1 V"]
    # A repeated pronunciation is merged, first order kept.
    assert phonemes["tomato"] == ["T AH0 M EY1 T OW2", "T AH0 M AA1 T OW2"]


def test_cmudict_dropped_words_are_counted_in_metadata(cmudict):
    builder, _ = cmudict
    assert builder.info.metadata["dropped_words"] == len(DROPPED_WORDS) == 6
    assert builder.info.metadata["words"] == 11
    # The metadata is written with the data and read back by a new builder.
    reloaded = CmudictG2p(data_dir=builder.data_dir_root)
    assert reloaded.is_prepared()
    assert reloaded.info.metadata["dropped_words"] == 6


def test_clean_entries_keeps_only_lower_case_words_and_apostrophes():
    kept, dropped = clean_entries({"it's": ["IH1 T S"], "IT": ["IH1 T"], "über": ["UW1 B ER0"]})
    assert kept == {"it's": ["IH1 T S"]}
    assert dropped == 2
