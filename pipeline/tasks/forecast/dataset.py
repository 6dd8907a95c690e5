"""The forecast task's embedded data: `statsmodels_series`, the TFDS
builder of yearly sunspots and weekly Mauna Loa CO2 (`statsmodels`), and
`fill_missing`, the gap filling a user's CSV gets too."""

import numpy as np
import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS, positional_bounds


def load_sunspots():
    """`(time, value)`: yearly mean sunspot numbers, 1700-2008."""
    from statsmodels.datasets import sunspots

    data = sunspots.load_pandas().data
    return data["YEAR"].to_numpy("float64"), data["SUNACTIVITY"].to_numpy("float64")


def load_co2():
    """`(time, value)`: weekly atmospheric CO2 at Mauna Loa (ppm), 1958-2001,
    time in fractional years; missing weeks are NaN."""
    from statsmodels.datasets import co2

    data = co2.load_pandas().data
    index = data.index
    years = index.year + (index.dayofyear - 1) / 365.25
    return np.asarray(years, "float64"), data["co2"].to_numpy("float64")


def fill_missing(values):
    """Linear interpolation over NaN gaps; returns `(filled, count)`.

    Leading or trailing gaps take the nearest observed value. A series with
    no gap is returned as it is. A series with no observed value at all
    raises ValueError.
    """
    values = np.asarray(values, "float64")
    missing = np.isnan(values)
    gaps = np.flatnonzero(missing)
    if not len(gaps):
        return values, 0  # no copy: a long user series costs its size once
    if len(gaps) == len(values):
        raise ValueError("the series has no observed value")
    observed = np.flatnonzero(~missing)
    filled = values.copy()
    filled[gaps] = np.interp(gaps, observed, values[observed])
    return filled, len(gaps)


class StatsmodelsSeriesConfig(tfds.core.BuilderConfig):
    """One series: `loader` returns `(time, value)`."""

    def __init__(self, *, loader, **kwargs):
        super().__init__(version=tfds.core.Version("1.0.0"), **kwargs)
        self.loader = loader


class StatsmodelsSeries(tfds.core.GeneratorBasedBuilder):
    """Univariate series from `statsmodels.datasets`, split by position.

    Configs: `sunspots` (yearly, 309 values) and `co2` (weekly, 2284 values).
    One example per split with features `time` and `value`; the last 5% of
    the series is test and the 5% before it validation. Missing CO2 weeks are
    filled by linear interpolation, never dropped, and their number is
    recorded in the dataset metadata (`interpolated`).
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release, from the `statsmodels` package."}
    BUILDER_CONFIGS = [
        StatsmodelsSeriesConfig(name="sunspots", description="Yearly sunspots, 1700-2008.",
                                loader=load_sunspots),
        StatsmodelsSeriesConfig(name="co2", description="Weekly Mauna Loa CO2, 1958-2001.",
                                loader=load_co2),
    ]

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {
                    "time": tfds.features.Tensor(shape=(None,), dtype=np.float64,
                                                 encoding=tfds.features.Encoding.BYTES),
                    "value": tfds.features.Tensor(shape=(None,), dtype=np.float32),
                }
            ),
            homepage="https://www.statsmodels.org/stable/datasets/index.html",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        time, value = self.builder_config.loader()
        value, interpolated = fill_missing(value)
        bounds = positional_bounds(len(value))
        self.info.metadata.update(length=len(value), interpolated=interpolated, bounds=bounds)
        return {
            split: self._generate_examples(split, time[slice(*bounds[split])],
                                           value[slice(*bounds[split])])
            for split in SPLITS
        }

    def _generate_examples(self, split, time, value):
        yield split, {"time": time, "value": value.astype("float32")}
