"""The stages that read a trained run, pointed at a directory with nothing
in it: one line naming `--run-dir`, exit 2, and nothing written there."""

import pytest

from pipeline import evaluate, export, predict
from pipeline.errors import run_cli

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
