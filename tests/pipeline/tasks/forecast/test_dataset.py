"""The `statsmodels_series` TFDS builder (`pipeline.tasks.forecast.dataset`)
on a fake weekly series with gaps: features, positional splits, float64
time, gaps interpolated and counted; and one build of the real sunspots.
Nothing here uses the network."""

import numpy as np
import pytest
import tensorflow as tf

from pipeline.data.splits import SPLITS, positional_bounds
from pipeline.tasks.forecast.dataset import (
    StatsmodelsSeries,
    StatsmodelsSeriesConfig,
    fill_missing,
)
from tests.pipeline.tasks.builder_test import num_examples, prepare, read_splits

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
