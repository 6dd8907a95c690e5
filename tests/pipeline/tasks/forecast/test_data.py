"""The forecast task's series (`pipeline.tasks.forecast.data`): a user's CSV
through the prepare stage."""

from pipeline.core import registry, rundir
from pipeline.core.config import resolve


def test_prepare_reads_a_csv_with_the_default_empty_column(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("t,y\n" + "".join(f"{i},{i % 7}\n" for i in range(60)), encoding="utf-8")
    config = resolve("forecast", "smoke")
    task_data, _ = rundir.prepare(registry.get("forecast"), str(tmp_path / "run"), config,
                                  data=str(path))
    assert task_data.series[:8].tolist() == [0, 1, 2, 3, 4, 5, 6, 0]  # the last column
