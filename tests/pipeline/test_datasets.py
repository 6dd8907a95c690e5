"""Declarative tests of the TFDS builders in `pipeline.datasets`.

Each builder is prepared from small fake data (its `source`, or a series
config's `loader`, replaced) into a temporary `data_dir`, then read back:
split sizes are those `pipeline.data.splits` predicts for the fake keys, no key
appears in two splits, and the features, dtypes, shapes and metadata are as
the builders document. One cheap smoke check builds the real `sunspots`
series. Nothing here uses the network.
"""

import collections

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS, keyed_split, positional_bounds
from pipeline.datasets import CmudictG2p, PydocText, StatsmodelsSeries
from pipeline.datasets.cmudict_g2p import clean_entries
from pipeline.datasets.statsmodels_series import StatsmodelsSeriesConfig, fill_missing
from tests.pipeline.tasks.builder_test import (
    num_examples,
    prepare,
    read_splits,
    text,
)

# --------------------------------------------------------------- cmudict_g2p
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


# ---------------------------------------------------------------- pydoc_text
FAKE_TEXT = "".join(f"line {i:03d}\n" for i in range(40))  # 360 characters


@pytest.fixture(scope="module")
def pydoc(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pydoc")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PydocText, "source", staticmethod(lambda: FAKE_TEXT))
        builder = prepare(PydocText(data_dir=data_dir))
    return builder, read_splits(builder)


def test_pydoc_text_splits_by_position(pydoc):
    builder, examples = pydoc
    assert num_examples(builder) == {"train": 1, "validation": 1, "test": 1}
    assert builder.info.features.dtype == {"text": tf.string}
    parts = {split: text(items[0]["text"]) for split, items in examples.items()}
    bounds = positional_bounds(len(FAKE_TEXT))
    assert bounds == {"train": (0, 324), "validation": (324, 342), "test": (342, 360)}
    assert {split: len(part) for split, part in parts.items()} == {
        "train": 324, "validation": 18, "test": 18}  # the last 5%, and 5% before it
    for split, (start, stop) in bounds.items():
        assert parts[split] == FAKE_TEXT[start:stop]
    assert parts["train"] + parts["validation"] + parts["test"] == FAKE_TEXT
    assert builder.info.metadata["characters"] == 360


# -------------------------------------------------------- statsmodels_series
SERIES_LENGTH = 60
MISSING = [0, 10, 20, 21, 22, 59]  # a leading gap, a one-week, a three-week, a trailing gap
TIME = 1958.0 + np.arange(SERIES_LENGTH) / 52.0
TREND = 300.0 + 0.5 * np.arange(SERIES_LENGTH)  # linear, so interpolation is exact


def fake_co2():
    """A weekly CO2-like series with missing weeks, as `load_co2` returns it."""
    value = TREND.copy()
    value[MISSING] = np.nan
    return TIME.copy(), value


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("series")
    config = StatsmodelsSeriesConfig(name="fake_co2", description="test", loader=fake_co2)
    builder = prepare(StatsmodelsSeries(config=config, data_dir=data_dir))
    return builder, read_splits(builder)


def test_series_features(series):
    builder, examples = series
    assert builder.info.features.dtype == {"time": tf.float64, "value": tf.float32}
    assert builder.info.features.shape == {"time": (None,), "value": (None,)}
    example = examples["train"][0]
    assert example["time"].dtype == np.float64
    assert example["value"].dtype == np.float32


def test_series_splits_by_position(series):
    builder, examples = series
    assert num_examples(builder) == {"train": 1, "validation": 1, "test": 1}
    bounds = positional_bounds(SERIES_LENGTH)
    assert bounds == {"train": (0, 54), "validation": (54, 57), "test": (57, 60)}
    times = {split: items[0]["time"] for split, items in examples.items()}
    assert {split: len(times[split]) for split in SPLITS} == {
        "train": 54, "validation": 3, "test": 3}
    for split, (start, stop) in bounds.items():
        np.testing.assert_allclose(times[split], TIME[start:stop], rtol=0, atol=0)
    np.testing.assert_allclose(np.concatenate([times[s] for s in SPLITS]), TIME, rtol=0, atol=0)


def test_series_time_keeps_float64_precision(series):
    _, examples = series
    time = np.concatenate([examples[split][0]["time"] for split in SPLITS])
    np.testing.assert_array_equal(time, TIME)


def test_series_missing_values_interpolated_and_counted(series):
    builder, examples = series
    value = np.concatenate([examples[split][0]["value"] for split in SPLITS])
    assert not np.isnan(value).any()
    expected = TREND.copy()
    expected[0] = TREND[1]  # a leading gap takes the first observed value
    expected[-1] = TREND[-2]  # a trailing gap the last one
    np.testing.assert_allclose(value, expected.astype("float32"), rtol=0, atol=1e-4)
    np.testing.assert_allclose(value[20:23], [310.0, 310.5, 311.0], rtol=0, atol=1e-4)
    assert builder.info.metadata["interpolated"] == len(MISSING) == 6
    assert builder.info.metadata["length"] == SERIES_LENGTH
    reloaded = StatsmodelsSeries(config=builder.builder_config, data_dir=builder.data_dir_root)
    assert reloaded.is_prepared()
    assert reloaded.info.metadata["interpolated"] == 6


def test_fill_missing_rejects_a_series_with_no_value():
    with pytest.raises(ValueError, match="no observed value"):
        fill_missing([np.nan, np.nan])


def test_real_sunspots_smoke(tmp_path):
    """The one build from a real package: statsmodels' yearly sunspots."""
    builder = prepare(StatsmodelsSeries(config="sunspots", data_dir=tmp_path))
    assert builder.info.metadata["length"] == 309
    assert builder.info.metadata["interpolated"] == 0
    test = next(builder.as_dataset(split="test").as_numpy_iterator())
    assert len(test["value"]) == 15  # round(309 * 0.05)
    assert test["time"][-1] == 2008.0
