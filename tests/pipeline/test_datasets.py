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

from pipeline.data.splits import SPLITS, keyed_split, positional_bounds
from pipeline.datasets import PydocText, StatsmodelsSeries, WordfreqLangid
from pipeline.datasets.statsmodels_series import StatsmodelsSeriesConfig, fill_missing
from pipeline.datasets.wordfreq_langid import LANGUAGES, unambiguous_balanced
from tests.pipeline.tasks.builder_test import (
    num_examples,
    prepare,
    read_splits,
    text,
)

# ----------------------------------------------------------- wordfreq_langid
# Most frequent first. "hotel" and "taxi" are in all three lists and "winter"
# in two: all are dropped. "a" (one letter), "it's", "l'eau" and "2020" (not
# alphabetic) are dropped too. PER_CLASS = 6 then keeps each language's six
# most frequent remaining words.
FAKE_WORDFREQ = {
    "en": ["the", "a", "hotel", "kitchen", "it's", "the", "taxi", "house", "water", "winter",
           "bread", "window", "friend", "school"],
    "fr": ["le", "pomme", "hotel", "taxi", "ile", "l'eau", "riviere", "maison", "pain",
           "ami", "ecole", "jardin"],
    "de": ["der", "insel", "tisch", "hotel", "taxi", "winter", "katze", "haus", "2020",
           "brot", "fenster", "freund"],
}
KEPT_WORDS = {
    "en": ["the", "kitchen", "house", "water", "bread", "window"],
    "fr": ["le", "pomme", "ile", "riviere", "maison", "pain"],
    "de": ["der", "insel", "tisch", "katze", "haus", "brot"],
}


@pytest.fixture(scope="module")
def wordfreq(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("wordfreq")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WordfreqLangid, "source", staticmethod(lambda: FAKE_WORDFREQ))
        patch.setattr(WordfreqLangid, "PER_CLASS", 6)
        builder = prepare(WordfreqLangid(data_dir=data_dir))
    return builder, read_splits(builder)


def test_wordfreq_split_sizes_follow_the_word_hash(wordfreq):
    builder, examples = wordfreq
    expected = collections.Counter(
        keyed_split(word) for words in KEPT_WORDS.values() for word in words
    )
    assert num_examples(builder) == {split: expected[split] for split in SPLITS}
    assert num_examples(builder) == {"train": 11, "validation": 3, "test": 4}
    assert {split: len(items) for split, items in examples.items()} == num_examples(builder)


def test_wordfreq_features(wordfreq):
    builder, _ = wordfreq
    features = builder.info.features
    assert features["label"].names == list(LANGUAGES)
    assert features.dtype == {"text": tf.string, "label": tf.int64}
    assert features.shape == {"text": (), "label": ()}
    assert builder.info.supervised_keys == ("text", "label")


def test_wordfreq_ambiguous_words_dropped_and_classes_balanced(wordfreq):
    builder, examples = wordfreq
    names = builder.info.features["label"].names
    labelled = [(text(ex["text"]), names[ex["label"]])
                for items in examples.values() for ex in items]
    words = [word for word, _ in labelled]
    assert len(words) == len(set(words))  # no word in two splits
    assert not {"hotel", "taxi", "winter", "a", "it's", "l'eau", "2020"} & set(words)
    by_language = collections.defaultdict(set)
    for word, language in labelled:
        by_language[language].add(word)
    assert by_language == {lang: set(words) for lang, words in KEPT_WORDS.items()}
    assert collections.Counter(lang for _, lang in labelled) == {"en": 6, "fr": 6, "de": 6}
    assert builder.info.metadata["ambiguous_dropped"] == 3
    assert builder.info.metadata["per_class"] == 6


def test_unambiguous_balanced_shrinks_every_class_to_the_smallest():
    lists = {"en": ["one", "two", "three", "shared"], "fr": ["un", "shared"]}
    examples, stats = unambiguous_balanced(lists, per_class=10)
    assert examples == [("one", "en"), ("un", "fr")]
    assert stats == {"ambiguous_dropped": 1, "per_class": 1}


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
