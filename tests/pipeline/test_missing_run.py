"""The stages pointed at a run directory with no run in it, or at a file
where a directory belongs: one line, and nothing written."""

import pytest

from pipeline import evaluate, export, predict, prepare, train
from pipeline import run as run_stage
from pipeline.core.errors import run_cli

INPUTS = {"g2p": ["hello"], "lm": ["The "], "classify": ["hello"],
          "forecast": [" ".join(map(str, range(12)))]}


@pytest.mark.parametrize("stage", ["evaluate", "export", "predict"])
@pytest.mark.parametrize("task", list(INPUTS))
def test_a_run_directory_without_a_run_is_a_usage_error(task, stage, tmp_path, capsys):
    run_dir = tmp_path / "empty"
    run_dir.mkdir()
    args = ["--task", task, "--run-dir", str(run_dir), "--export-dir", str(tmp_path / "saved")]
    main = {"evaluate": evaluate.main, "export": export.main, "predict": predict.main}[stage]
    assert run_cli(main, args + (INPUTS[task] if stage == "predict" else [])) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: --run-dir {run_dir}: ")
    assert not any(run_dir.iterdir()) and not (tmp_path / "saved").exists()


@pytest.mark.parametrize("main", [run_stage.main, train.main, evaluate.main, prepare.main])
def test_a_file_given_as_run_directory_is_a_usage_error(main, tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("mine\n", encoding="utf-8")
    assert run_cli(main, ["--task", "forecast", "--run-dir", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: --run-dir {path}: not a directory"
    assert path.read_text(encoding="utf-8") == "mine\n"


def test_a_directory_that_cannot_be_made_is_one_line(tmp_path, capsys):
    """`run_cli` reports a file system error on a path in one line (exit 1)."""
    path = tmp_path / "notes.txt"
    path.write_text("mine\n", encoding="utf-8")
    args = ["--task", "forecast", "--preset", "smoke", "--run-dir", str(path / "run")]
    assert run_cli(run_stage.main, args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {path}")
