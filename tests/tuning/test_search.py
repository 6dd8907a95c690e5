"""`python -m tuning.search` in one process: a smoke search under
MirroredStrategy (the tuner's `distribution_strategy`), its summary and
plot, a rerun that resumes instead of starting again, `--export-best`
through the export stage, and one-line errors for bad flags."""

import json
import os

import keras_tuner
import pytest

from pipeline import training
from pipeline.errors import UsageError
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
    assert training.distribution("mirrored").num_replicas_in_sync == 2
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


def test_unknown_task_search_space(tmp_path):
    with pytest.raises(UsageError, match="no search space"):
        search.main(["--task", "synthetic", "--tuner", "random", "--dir", str(tmp_path)])


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
