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


def test_window_scales_and_scaled_quantiles():
    """The scale is the mean absolute change over the window; the quantile
    is that of |e| / s (19 scores 1..19 at level 0.9: the 18th)."""
    assert intervals.window_scales([[0.0, 2.0, 1.0], [5.0, 5.0, 5.0]], floor=0.1).tolist() \
        == [1.5, 0.1]
    scales = np.arange(1.0, 20)
    residuals = np.stack([np.arange(1.0, 20) ** 2, -2 * np.arange(1.0, 20) ** 2], axis=1)
    assert intervals.scaled_quantiles(residuals, scales, 0.9).tolist() == [18.0, 36.0]


def test_online_half_widths_read_only_targets_already_observed():
    """Nine validation scores of 1 (rank ceil(10 * 0.8) = 8 of 9 at level
    0.8) and a block of origins 20, 21, 22 with H = 2: at origin 22 the
    score of origin 20 is known at both steps (20 + 2 <= 22), that of 21
    at step 1 only; a later origin's error never counts."""
    calibration = (np.ones((9, 2)), np.ones(9), np.arange(9))
    block_errors = np.array([[50.0, 60.0], [70.0, 80.0], [0.0, 0.0]])
    block = (block_errors, np.array([1.0, 1.0, 2.0]), np.array([20, 21, 22]))
    widths = intervals.online_half_widths(calibration, block, 0.8)
    # Origin 20: the nine ones. Origin 21: + 50 at step 1 (rank 9 of 10: 1).
    # Origin 22: + 50, 70 at step 1 (rank ceil(12 * .8) = 10 of 11: 50, times
    # scale 2); + 60 at step 2 (rank 9 of 10: 1, times 2).
    np.testing.assert_allclose(widths, [[1.0, 1.0], [1.0, 1.0], [100.0, 2.0]])
    later = (np.array([[50.0, 60.0], [70.0, 80.0], [1e9, 1e9]]), *block[1:])
    np.testing.assert_allclose(intervals.online_half_widths(calibration, later, 0.8), widths)
    assert intervals.coverage([[0.0, 0.0]] * 3, widths, [[1.0, -1.5], [0.5, 0.5], [99, 2]]) \
        == 5 / 6
