"""The forecast task's series (`pipeline.tasks.forecast.data`): a user's CSV
through the prepare stage."""

import pytest

from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError


def test_prepare_reads_a_csv_with_the_default_empty_column(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("t,y\n" + "".join(f"{i},{i % 7}\n" for i in range(90)), encoding="utf-8")
    config = resolve("forecast", "smoke")
    task_data, _ = rundir.prepare(registry.get("forecast"), str(tmp_path / "run"), config,
                                  data=str(path))
    assert task_data.series[:8].tolist() == [0, 1, 2, 3, 4, 5, 6, 0]  # the last column
    assert task_data.splits["test"] == (90 - 35, 90)  # 30 origins at the default horizon 6


def test_a_csv_too_short_for_two_blocks_is_a_usage_error(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("value\n" + "".join(f"{i}\n" for i in range(60)), encoding="utf-8")
    config = resolve("forecast", "smoke")
    with pytest.raises(UsageError, match=r"series.csv: a series of 60 values is too short"):
        registry.get("forecast").load_data(config, data=str(path))
