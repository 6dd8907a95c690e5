"""A forecast run's settings (`pipeline.tasks.forecast.settings`): the series
option of every stage, the series' defaults, the `baseline.*` values, and
the baseline's refusals as UsageErrors naming the flag."""

import numpy as np
import pytest

from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import evaluation, settings


def test_series_option_reaches_every_stage_and_its_defaults():
    config = resolve("forecast", "smoke", sets=["forecast.series=co2"])
    assert rundir.prepare_options(registry.get("forecast"), config) == {
        "forecast.series": "co2", "forecast.column": "", "data.horizon": 0}
    co2 = settings.settings(config, {"source": "statsmodels_series/co2"})
    assert (co2["window"], co2["horizon"], co2["level"], co2["season"]) == (104, 26, "last", 52)
    assert (co2["period"], co2["harmonics"], co2["trend"]) == (pytest.approx(52.18, abs=0.01),
                                                               3, "t")
    mine = resolve("forecast", "smoke", sets=["data.window=7", "model.linear_window=0",
                                              "baseline.order=1,1,0"])
    s = settings.settings(mine, {"source": "my.csv"})
    assert (s["window"], s["horizon"], s["linear_window"], s["order"]) == (7, 6, 0, (1, 1, 0))
    for bad in ("baseline.order=1,x", "baseline.trend=q", "baseline.harmonics=two",
                "model.linear_window=25", "model.level=up", "model.linear_init=zero",
                "data.horizon=-2"):
        with pytest.raises(UsageError, match=bad.split("=")[0]):
            settings.settings(resolve("forecast", "smoke", sets=[bad]), {"source": "my.csv"})


@pytest.mark.parametrize("sets,message", [
    (["baseline.harmonics=2", "baseline.period=0"],
     "--set baseline.period=0.0: Fourier terms need a period > 0"),
    (["baseline.order=1,1,0", "baseline.trend=c"],
     "--set baseline.trend=c: a constant is differenced away when d > 0; use t (a drift) or n"),
])
def test_the_baselines_refusals_name_the_flag(sets, message):
    s = settings.settings(resolve("forecast", "smoke", sets=sets), {"source": "my.csv"})
    with pytest.raises(UsageError) as error:
        evaluation.fit_baseline(np.arange(30.0), s)
    assert str(error.value) == message
