"""Rolling-origin splits and scores of the forecast task: the blocks of 30
origins (`pipeline.data.splits.origin_bounds`), no target of a later block
in an earlier block's windows, and MASE on a hand-computed example
(`pipeline.tasks.forecast.scores`)."""

import numpy as np
import pytest

from pipeline.data.splits import origin_bounds
from pipeline.tasks.forecast import intervals, scores
from pipeline.tasks.forecast.data import split_windows


def test_blocks_hold_thirty_origins_each():
    bounds = origin_bounds(80, horizon=3)
    assert bounds == {"train": (0, 16), "validation": (16, 48), "test": (48, 80)}
    assert origin_bounds(309, 5)["test"] == (275, 309)  # sunspots: 1975-2008
    with pytest.raises(ValueError, match="too short"):
        origin_bounds(64, horizon=3)


def test_no_target_leaks_into_an_earlier_split():
    """On a short series whose values are their positions, every window's
    targets stay inside its block, its history before its origin, and the
    training windows never reach a held-out value."""
    series = np.arange(80.0)
    bounds = origin_bounds(len(series), horizon=3)
    prepared = {"bounds": bounds}
    for split, (start, stop) in bounds.items():
        histories, targets, origins = split_windows(series, prepared, split, window=4,
                                                    horizon=3)
        assert targets.min() >= start and targets.max() < stop
        assert np.array_equal(targets[:, 0], origins)  # the first target is the origin's value
        assert (histories.max(axis=1) < origins).all()  # history strictly before the origin
        if split != "train":
            assert len(origins) == 30 and np.array_equal(np.diff(origins), np.ones(29))
    train_targets = split_windows(series, prepared, "train", 4, 3)[1]
    assert train_targets.max() == bounds["validation"][0] - 1


def test_mase_hand_computed():
    """Season 2: history 1, 3, 2, 6, 4 has seasonal naive errors |2-1|,
    |6-3|, |4-2| = 1, 3, 2, scale 2. Forecasts 5, 5 of targets 8, 4: errors
    3, 1; MASE (3 + 1) / 2 / 2 = 1; RMSE sqrt((9 + 1) / 2); MAE 2."""
    series = np.array([1.0, 3, 2, 6, 4, 8, 4])
    scale = scores.origin_scales(series, [5], season=2)
    assert scale.tolist() == [2.0]
    result = scores.scores([[5.0, 5.0]], [[8.0, 4.0]], scale)
    assert result["mase"] == pytest.approx(1.0)
    assert result["rmse"] == pytest.approx(np.sqrt(5.0))
    assert result["mae"] == pytest.approx(2.0)
    assert result["mase_by_step"] == [1.5, 0.5]
    assert result["per_origin"]["mase"] == [1.0]
    ratio = scores.ratios(result, {"peer": {"rmse": 2.0, "mae": 4.0, "mase": 0.5}})
    assert ratio["peer"]["mase"] == pytest.approx(2.0) and ratio["peer"]["mae"] == 0.5


def test_conformal_half_widths_and_coverage():
    """19 calibration residuals 1..19 at level 0.9: rank ceil(20 * 0.9) = 18."""
    residuals = np.stack([np.arange(1.0, 20), -2 * np.arange(1.0, 20)], axis=1)  # [19, 2]
    widths = intervals.half_widths(residuals, 0.9)
    assert widths.tolist() == [18.0, 36.0]
    assert intervals.coverage([[0.0, 0.0], [0.0, 0.0]], widths, [[18.0, -37.0], [19.0, 0.0]]) \
        == 0.5
    with pytest.raises(ValueError, match="too few"):
        intervals.half_widths(residuals[:5], 0.9)
