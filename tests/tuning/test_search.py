"""`python -m tuning.search` in one process: a smoke search under
MirroredStrategy (the tuner's `distribution_strategy`), its summary and
plot, a rerun that resumes instead of starting again, `--export-best`
through the export stage, and one-line errors for bad flags."""

import json
import os

import keras_tuner
import pytest

from pipeline.core import distribution
from pipeline.core.errors import UsageError
from tests.tuning.common import CHEAP, fix_flags
from tuning import search


def flags(lexicon, directory, trials, *extra):
    return ["--task", "g2p", "--tuner", "random", "--preset", "smoke", "--dir", directory,
            "--data", lexicon, "--max-trials", str(trials), "--quiet", "--strategy", "mirrored",
            *fix_flags(CHEAP), *extra]


def oracle_state(directory):
    with open(os.path.join(directory, "random", "oracle.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def searched(lexicon, tmp_path_factory):
    base = tmp_path_factory.mktemp("search")
    directory, exports = str(base / "search"), str(base / "saved")
    assert search.main(flags(lexicon, directory, 1)) == 0
    first = oracle_state(directory)
    assert search.main(flags(lexicon, directory, 2, "--export-best", "--export-dir",
                             exports)) == 0
    return directory, exports, first


def test_search_runs_under_mirrored_strategy(searched):
    assert distribution.strategy_named("mirrored").num_replicas_in_sync == 2
    directory, _, _ = searched
    with open(os.path.join(directory, "summary.json"), encoding="utf-8") as handle:
        summary = json.load(handle)
    assert summary["objective"] == {"name": "val_wer", "direction": "min"}
    assert [t["status"] for t in summary["trials"]] == ["COMPLETED", "COMPLETED"]
    for trial in summary["trials"]:
        assert 0.0 <= trial["score"] <= 1.0
        assert trial["values"]["cell"] == "gru"  # --fix
    scores = [t["score"] for t in summary["trials"]]
    assert scores == sorted(scores)  # best first


def test_rerun_resumes(searched):
    directory, _, first = searched
    state = oracle_state(directory)
    assert first["end_order"] == ["0"]
    assert state["end_order"] == ["0", "1"]  # trial 0 kept, one more run
    assert state["run_times"] == {"0": 1, "1": 1}


def test_summary_table_and_plot(searched):
    directory, _, _ = searched
    with open(os.path.join(directory, "summary.md"), encoding="utf-8") as handle:
        table = handle.read().splitlines()
    assert table[0].startswith("| rank | trial | status | val_wer | best epoch |")
    assert "learning_rate" in table[0] and len(table) == 4
    with open(os.path.join(directory, "plots", "objective.png"), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_export_best_goes_through_the_export_stage(searched):
    directory, exports, _ = searched
    with open(os.path.join(directory, "summary.json"), encoding="utf-8") as handle:
        best = json.load(handle)["trials"][0]
    version = os.path.join(exports, "g2p", "1")
    with open(os.path.join(version, "assets.extra", "metadata.json"), encoding="utf-8") as f:
        metadata = json.load(f)
    assert metadata["run_dir"] == os.path.abspath(os.path.join(directory, "best"))
    assert "wer" in metadata["metrics"]  # the test split, scored by the evaluate stage
    assert metadata["config"]["train"]["learning_rate"] == best["values"]["learning_rate"]
    assert os.path.exists(os.path.join(version, "saved_model.pb"))


def test_rerun_with_another_configuration_is_refused(searched, lexicon):
    directory, _, _ = searched
    with pytest.raises(UsageError, match="config"):
        search.main(flags(lexicon, directory, 2, "--set", "train.patience=7"))


def test_bad_fix(lexicon, tmp_path):
    with pytest.raises(UsageError, match="--fix colour=red"):
        search.main(flags(lexicon, str(tmp_path / "s"), 1, "--fix", "colour=red"))


@pytest.mark.parametrize("extra", [["--max-trials", "0"], ["--executions", "0"],
                                   ["--max-retries", "-1"], ["--max-failures", "0"],
                                   ["--worker-timeout", "0"], ["--top", "x"]])
def test_bad_counts_stop_with_a_usage_error_before_any_work(extra, lexicon, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        search.main(flags(lexicon, str(tmp_path / "s"), 1, *extra))
    assert stopped.value.code == 2
    assert f"argument {extra[0]}:" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_a_task_without_a_search_space_is_one_usage_error(tmp_path):
    """Every task of the project has a search space (synthetic's searches
    the cell, width and clipping); a task registered without one is refused
    before any work."""
    from pipeline.core import registry
    from pipeline.core.schema import Schema, common
    from pipeline.core.task import Task

    class Unsearchable(Task):
        name = "unsearchable"
        schema = Schema(common("train.epochs", 1), common("train.seed", 0))

    registry.register(Unsearchable())
    try:
        with pytest.raises(UsageError, match="unsearchable: this task has no search space"):
            search.main(["--task", "unsearchable", "--tuner", "random", "--dir",
                         str(tmp_path / "s")])
    finally:
        registry.unregister("unsearchable")
    assert not (tmp_path / "s").exists()


def test_fix_takes_any_value_in_a_numeric_range():
    """A numeric hyperparameter's `values` is only a sample (a stepped
    grid in floating point, or random draws for log sampling): `--fix`
    checks the range instead, so 0.3 and 1e-3 are taken."""
    hp = keras_tuner.HyperParameters()
    hp.Float("dropout", 0.0, 0.5, step=0.1)
    hp.Float("learning_rate", 1e-4, 3e-2, sampling="log")
    hp.Int("layers", 1, 3)
    hp.Choice("cell", ["lstm", "gru"])
    fixed = search.parse_fixed(["dropout=0.3", "learning_rate=0.001", "layers=2", "cell=gru"],
                               hp)
    assert fixed == {"dropout": 0.3, "learning_rate": 0.001, "layers": 2, "cell": "gru"}
    for bad, said in (("dropout=0.6", "a number from 0.0 to 0.5"),
                      ("learning_rate=1", "a number from 0.0001 to 0.03"),
                      ("layers=1.5", "an integer from 1 to 3"),
                      ("layers=true", "an integer from 1 to 3"),
                      ("cell=rnn", "one of lstm, gru")):
        with pytest.raises(UsageError, match=f"--fix {bad}: .* takes {said}"):
            search.parse_fixed([bad], hp)


def test_the_same_seed_draws_the_same_oracle_seed():
    """keras-tuner reads a seed of 0 as none and draws one at random, so the
    default `--seed 0` gave another search each time."""
    from tuning.tuners import make_oracle

    objective = keras_tuner.Objective("val_loss", "min")
    seeds = [make_oracle("random", objective, seed=seed).seed for seed in (0, 0, 1)]
    assert seeds[0] == seeds[1] != seeds[2]


def test_export_best_of_a_forecast_search_resolves_the_series_windows(tmp_path, capsys):
    """The best trial's config.json kept `data.window=0` (the series'
    default), and evaluating it built windows of length 0."""
    directory, exports = str(tmp_path / "search"), str(tmp_path / "saved")
    args = ["--task", "forecast", "--tuner", "random", "--preset", "smoke", "--dir", directory,
            "--max-trials", "1", "--quiet", "--export-best", "--export-dir", exports]
    assert search.main(args) == 0
    with open(os.path.join(directory, "best", "config.json"), encoding="utf-8") as handle:
        data = json.load(handle)["data"]
    assert (data["window"], data["horizon"]) == (12, 5)  # sunspots' defaults
    assert os.listdir(os.path.join(exports, "forecast")) == ["1"]
    with open(os.path.join(directory, "best", "train_history.json"), encoding="utf-8") as handle:
        history = json.load(handle)  # the trial's, which the refit reads its epochs from
    assert len(history["val_loss"]) == len(history["loss"]) >= 1


def test_a_file_as_dir_and_overwriting_a_directory_without_a_search_are_refused(tmp_path,
                                                                               capsys):
    from pipeline.core.errors import run_cli

    path = tmp_path / "notes.txt"
    path.write_text("mine\n", encoding="utf-8")
    base = ["--task", "forecast", "--tuner", "random", "--preset", "smoke", "--quiet"]
    assert run_cli(search.main, [*base, "--dir", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: --dir {path}: not a directory"
    assert run_cli(search.main, [*base, "--dir", str(tmp_path), "--overwrite"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --overwrite: {tmp_path} holds no search (search.json); "
        "remove it yourself or use another --dir")
    assert path.read_text(encoding="utf-8") == "mine\n"


def test_export_best_without_a_completed_trial_is_one_line(tmp_path, capsys):
    """A trial whose sequences do not fit the validation split fails at once
    (the task's UsageError is not retried); before, `--export-best` then took
    the failed trial for the best and raised a TypeError."""
    from pipeline.core.errors import run_cli

    directory = tmp_path / "search"
    args = ["--task", "lm", "--tuner", "random", "--preset", "smoke", "--dir", str(directory),
            "--max-trials", "1", "--quiet", "--fix", "sequence_length=256",
            "--fix", "batch_size=16", "--export-best", "--export-dir", str(tmp_path / "saved")]
    assert run_cli(search.main, args) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1] == (
        f"error: --export-best: no completed trial in {directory}")
    assert "retries left" not in captured.out + captured.err
    assert not (directory / "best").exists() and not (tmp_path / "saved").exists()
