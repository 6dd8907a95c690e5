"""The forecast task's windows, batches and normaliser
(`pipeline.tasks.forecast.inputs`)."""

import numpy as np

from pipeline.tasks.forecast import inputs as forecast


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
