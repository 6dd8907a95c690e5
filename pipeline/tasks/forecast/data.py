"""The forecast task's series: the embedded `statsmodels_series` (`dataset`)
or a user's CSV, split by position into blocks of forecast origins
(docs/architecture.md section 3: the last block holding 30 origins at the
series' horizon is test, the block before it validation;
`pipeline.data.splits.origin_bounds`), and the prepared run's series cut
into windows."""

import functools
import json
import os

import numpy as np

from pipeline.core.errors import UsageError
from pipeline.data import builders, sources, splits
from pipeline.data.catalog import parse_data_flag
from pipeline.tasks.forecast import dataset, inputs
from pipeline.tasks.forecast.config import EMBEDDED, SERIES

#: Forecast origins in each held-out block, one step apart.
ORIGINS, STRIDE = 30, 1


@functools.lru_cache(maxsize=4)
def load(data=None, data_dir=None, series="sunspots", column="", horizon=0):
    """The `TaskData` of the embedded `series` (`data` None) or of the
    `column` of a CSV (`data` its path; "" = "value", else the last column),
    its splits `(start, stop)` bounds into `TaskData.series`: blocks of
    `ORIGINS` origins at `horizon` (0 = the series' default). Cached in the
    process (the stages of one `pipeline.run` share it; treat it as read-only)."""
    if data is None:
        if series not in EMBEDDED:
            raise UsageError(f"--set forecast.series={series}: use one of "
                             f"{', '.join(EMBEDDED)} (or --data FILE.csv for your own series)")
        builder = builders.prepare_builder("statsmodels_series", data_dir, config=series)
        values = np.concatenate([
            next(builder.as_dataset(split=split, shuffle_files=False).as_numpy_iterator())["value"]
            for split in splits.SPLITS]).astype("float64")
        source, metadata = f"statsmodels_series/{series}", dict(builder.info.metadata)
        metadata.pop("bounds", None)  # the builder's storage pieces, not the splits
    else:
        kind, value = parse_data_flag(data)
        if kind == "tfds":
            raise UsageError(f"--data tfds:{value}: forecast reads a CSV file with a value "
                             "column")
        values, filled = dataset.fill_missing(sources.read_series_csv(value,
                                                                      column=column or None))
        source, metadata = value, {"interpolated": filled}
    horizon = horizon or SERIES[series if data is None else "file"]["horizon"]
    try:
        bounds = splits.origin_bounds(len(values), horizon, ORIGINS, STRIDE)
    except ValueError as error:
        raise UsageError(f"{source}: {error}") from None
    return builders.TaskData("forecast", source, bounds, series=values, metadata=metadata)


def load_data(config, data=None, data_dir=None):
    f = config["forecast"]
    return load(data, data_dir, f["series"], f["column"], config["data"]["horizon"])


def prepare_data(task_data, directory):
    """The normaliser fitted on the training values, and the whole series."""
    start, stop = task_data.splits["train"]
    mean, std = inputs.fit_normalizer(task_data.series[start:stop])
    np.save(os.path.join(directory, "series.npy"), task_data.series)
    return {"normalizer": {"mean": mean, "std": std}, "bounds": task_data.splits}


def describe(task_data, count=3):
    start, _ = task_data.splits["train"]
    return [f"first values {task_data.series[start:start + 5].round(2).tolist()}"]


def load_prepared(run_dir):
    """`(series float64 [N], prepared dict)` written by the prepare stage."""
    data_dir = os.path.join(run_dir, "data")
    with open(os.path.join(data_dir, "prepared.json"), encoding="utf-8") as handle:
        prepared = json.load(handle)
    return np.load(os.path.join(data_dir, "series.npy")), prepared


def normalise(values, prepared):
    n = prepared["normalizer"]
    return (np.asarray(values, "float64") - n["mean"]) / n["std"]


def split_windows(series, prepared, split, window, horizon):
    """`(histories [N, window], targets [N, horizon], origins [N])` of one
    split, raw values; every target inside the split."""
    start, stop = prepared["bounds"][split]
    try:
        histories, targets = inputs.windows(series, start, stop, history=window,
                                            horizon=horizon)
    except ValueError as error:
        raise UsageError(f"--set data.window={window} --set data.horizon={horizon}: "
                         f"{split} split: {error}") from None
    origins = np.arange(stop - horizon - len(targets) + 1, stop - horizon + 1)
    return histories, targets, origins


def training_windows(config, series, prepared, split):
    """`(histories [N, window], targets [N, horizon])` of `split`, normalised;
    `config` has the series' window and horizon written in (`settings.resolved`)."""
    d = config["data"]
    return split_windows(normalise(series, prepared), prepared, split, d["window"],
                         d["horizon"])[:2]
