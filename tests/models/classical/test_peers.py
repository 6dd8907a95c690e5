"""The statistical peers (`models.classical.peers`) fit only on each
origin's history: replacing every value from an origin on by garbage leaves
that origin's forecast unchanged, for every peer, on a short seasonal series."""

import numpy as np
import pytest

from models.classical import peers

SETTINGS = {"order": (1, 0, 0), "seasonal_order": (0, 0, 0, 0), "trend": "c", "period": 4.0,
            "harmonics": 0}


def short_series(length=48):
    rng = np.random.default_rng(0)
    t = np.arange(length)
    return 10 + np.sin(2 * np.pi * t / 4) + 0.05 * t + 0.3 * rng.normal(size=length)


def test_every_peer_sees_only_the_history_before_its_origin():
    """Spoiling every value from origin k on leaves the forecasts from
    origins up to k unchanged."""
    series, horizon, origins = short_series(), 3, np.array([40, 41, 42])
    names = tuple(peers.LABELS)
    forecasts, info = peers.peer_forecasts(names, series, origins, horizon, 4, SETTINGS)
    assert set(forecasts) == set(peers.LABELS.values()) and info["ar_orders"]
    for k, o in enumerate(origins):
        spoiled = series.copy()
        spoiled[o:] = 1e3 * (1 + np.arange(len(series) - o))  # nothing like the series
        again, _ = peers.peer_forecasts(names, spoiled, origins, horizon, 4, SETTINGS)
        for label, values in forecasts.items():
            assert values.shape == (3, horizon)
            np.testing.assert_allclose(again[label][:k + 1], values[:k + 1], rtol=1e-6,
                                       err_msg=label)
        if k == 0:  # the spoiled values do reach the later origins' forecasts
            assert not np.allclose(again["AR(AIC)"][1:], forecasts["AR(AIC)"][1:])
    naive = forecasts["SeasonalNaive"]
    np.testing.assert_array_equal(naive[0], series[36:39])  # one season back from origin 40


def test_peers_refuse_gaps_between_origins():
    with pytest.raises(ValueError, match="consecutive"):
        peers.peer_forecasts(("seasonal_naive",), short_series(), [40, 42], 2, 4, SETTINGS)
