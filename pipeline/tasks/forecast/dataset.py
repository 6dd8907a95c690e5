"""The forecast task's embedded data: `statsmodels_series`, the TFDS
builder of the univariate series of `statsmodels.datasets` (yearly
sunspots, weekly Mauna Loa CO2, the yearly Nile flow, monthly El Nino
sea-surface temperatures, and five quarterly US macro series), and
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


def load_nile():
    """`(time, value)`: yearly flow of the Nile at Aswan (10^8 m^3), 1871-1970."""
    from statsmodels.datasets import nile

    data = nile.load_pandas().data
    return data["year"].to_numpy("float64"), data["volume"].to_numpy("float64")


def load_elnino():
    """`(time, value)`: monthly El Nino sea-surface temperature (deg C),
    1950-2010, 732 months, time in fractional years."""
    from statsmodels.datasets import elnino

    data = elnino.load_pandas().data
    values = data.drop(columns="YEAR").to_numpy("float64").reshape(-1)  # row-major: by month
    years = np.repeat(data["YEAR"].to_numpy("float64"), 12) + np.tile(np.arange(12) / 12, len(data))
    return years, values


def macro_loader(column, log=False):
    """A loader of one column of the quarterly US macro data, 1959Q1-2009Q3
    (203 quarters; `statsmodels.datasets.macrodata`), its natural log when
    `log` (GDP and CPI grow exponentially: their log differences are growth
    rates)."""

    def load():
        from statsmodels.datasets import macrodata

        data = macrodata.load_pandas().data
        values = data[column].to_numpy("float64")
        time = data["year"].to_numpy("float64") + (data["quarter"].to_numpy("float64") - 1) / 4
        return time, np.log(values) if log else values

    return load


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

    Configs: `sunspots` (yearly, 309 values), `co2` (weekly, 2284 values),
    `nile` (yearly, 100), `elnino` (monthly, 732), and the quarterly `gdp`,
    `cpi` (both logged), `unemployment`, `inflation` and `interest_rate`
    (203 each). One example per split with features `time` and `value`, the
    series stored in three pieces by position (the last 5% and the 5% before
    it); the forecast task joins them and splits by forecast origins
    (`pipeline.data.splits.origin_bounds`). Missing CO2 weeks are
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
        StatsmodelsSeriesConfig(name="nile", description="Yearly Nile flow, 1871-1970.",
                                loader=load_nile),
        StatsmodelsSeriesConfig(name="elnino", description="Monthly El Nino SST, 1950-2010.",
                                loader=load_elnino),
        StatsmodelsSeriesConfig(name="gdp", description="Log US real GDP, quarterly.",
                                loader=macro_loader("realgdp", log=True)),
        StatsmodelsSeriesConfig(name="cpi", description="Log US CPI, quarterly.",
                                loader=macro_loader("cpi", log=True)),
        StatsmodelsSeriesConfig(name="unemployment", description="US unemployment rate (%), "
                                "quarterly.", loader=macro_loader("unemp")),
        StatsmodelsSeriesConfig(name="inflation", description="US inflation rate (%), "
                                "quarterly.", loader=macro_loader("infl")),
        StatsmodelsSeriesConfig(name="interest_rate", description="US real interest rate (%), "
                                "quarterly.", loader=macro_loader("realint")),
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
