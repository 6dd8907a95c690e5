"""`models.classical.arima`: the baseline never sees the origin or after,
and refuses the argument combinations it cannot fit."""

import numpy as np
import pytest

from models.classical.arima import Baseline


@pytest.mark.parametrize("harmonics", [0, 2])
def test_baseline_never_sees_the_origin_or_after(harmonics):
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.normal(size=90)) * 0.3 + np.sin(np.arange(90) / 2)
    arima = Baseline(series[:70], (1, 1, 0), trend="t", period=12.5, harmonics=harmonics)
    origins = [70, 74, 80]
    before = arima.forecasts(series, origins, 4)
    for i, o in enumerate(origins):  # change everything from each origin on
        changed = series.copy()
        changed[o:] += 50.0
        np.testing.assert_allclose(arima.forecasts(changed, [o], 4)[0], before[i])
    # extending the filter origin by origin equals filtering each history anew
    for i, o in enumerate(origins):
        fresh = arima.results.apply(series[:o], exog=arima.exog(0, o))
        np.testing.assert_allclose(before[i], fresh.forecast(4, exog=arima.exog(o, o + 4)),
                                   rtol=1e-6)
    assert arima.info["train_values"] == 70 and arima.info["model"].startswith("ARIMA(1,1,0)")


@pytest.mark.parametrize("arguments,message", [
    ({"order": (1, 0, 0), "harmonics": 2, "period": 0.0},
     "Fourier terms need a period > 0. Received: period=0.0"),
    ({"order": (1, 1, 0), "trend": "c"},
     "a constant is differenced away when d > 0; use t (a drift) or n. Received: trend=c"),
])
def test_baseline_refuses_what_it_cannot_fit(arguments, message):
    with pytest.raises(ValueError, match=f"^{message.replace('(', '[(]').replace(')', '[)]')}$"):
        Baseline(np.arange(30.0), **arguments)
