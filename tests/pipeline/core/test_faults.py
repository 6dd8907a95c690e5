"""Fault injection (issue 33 item 7): real processes killed with SIGKILL
during training and during an export, two writers on one run directory,
and two exports claiming one version. The forecast task's smoke run on the
embedded sunspots is the subject: its epochs take a fraction of a second."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline import export, train
from pipeline.core import export as export_lib
from pipeline.core.errors import run_cli

EPOCHS = 40


def flags(run_dir, epochs=EPOCHS):
    return ["--task", "forecast", "--preset", "smoke", "--run-dir", str(run_dir),
            "--set", f"train.epochs={epochs}", "--set", "train.patience=1000"]


def start(stage, arguments):
    return subprocess.Popen([sys.executable, "-m", f"pipeline.{stage}", *arguments],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(process, pattern, timeout=240):
    """Polls until a path matches `pattern` while `process` runs; fails if
    the process ended first (the fault would come too late to test anything)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if glob.glob(pattern):
            return
        if process.poll() is not None:
            pytest.fail(f"the process ended before {pattern} appeared: {process.stderr.read()}")
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"{pattern} did not appear in {timeout} s")


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()


def test_kill_during_training_then_rerun_resumes_with_the_whole_history(tmp_path):
    run_dir = tmp_path / "run"
    process = start("train", flags(run_dir))
    wait_for(process, str(run_dir / "checkpoints" / "backup" / "*"))
    time.sleep(0.3)  # into a later epoch, perhaps during a backup's write
    kill(process)
    assert not (run_dir / "model.keras").exists()  # killed before the end
    assert run_cli(train.main, flags(run_dir)) == 0
    with open(run_dir / "train_history.json", encoding="utf-8") as handle:
        history = json.load(handle)
    assert len(history["loss"]) == len(history["val_loss"]) == EPOCHS
    rows = (run_dir / "history.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == list(range(EPOCHS))


def test_a_second_writer_on_a_run_directory_is_refused(tmp_path, capsys):
    run_dir = tmp_path / "run"
    process = start("train", flags(run_dir, epochs=10000))
    try:
        wait_for(process, str(run_dir / "config.json"))
        assert run_cli(train.main, flags(run_dir, epochs=2)) == 2
        error = capsys.readouterr().err.splitlines()
        assert len(error) == 1 and "another process is writing this run" in error[0]
        assert process.poll() is None  # the first writer goes on
    finally:
        kill(process)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("forecast") / "run"
    assert run_cli(train.main, flags(run_dir, epochs=1)) == 0
    return run_dir


def complete(version):
    return (os.path.exists(os.path.join(version, "saved_model.pb"))
            and os.path.exists(os.path.join(version, "assets.extra", "metadata.json")))


def test_kill_during_export_leaves_no_version_and_the_next_export_cleans_up(trained, tmp_path):
    saved = tmp_path / "saved"
    arguments = [*flags(trained, epochs=1), "--export-dir", str(saved)]
    process = start("export", arguments)
    wait_for(process, str(saved / "forecast" / ".export-*" / "model" / "*"))
    kill(process)
    task_dir = saved / "forecast"
    assert glob.glob(str(task_dir / ".export-*"))  # the killed export's staging folder
    assert [name for name in os.listdir(task_dir) if name.isdigit()] == []
    assert run_cli(export.main, arguments) == 0
    assert sorted(os.listdir(task_dir)) == ["1"] and complete(task_dir / "1")


def test_two_exports_claiming_one_version_both_land(trained, tmp_path, monkeypatch, capsys):
    saved = tmp_path / "saved"
    arguments = [*flags(trained, epochs=1), "--export-dir", str(saved)]
    assert run_cli(export.main, arguments) == 0
    monkeypatch.setattr(export_lib, "next_version", lambda task_dir: 1)  # a racer's view
    capsys.readouterr()
    assert run_cli(export.main, arguments) == 0
    assert capsys.readouterr().out.strip().endswith(os.path.join("forecast", "2"))
    task_dir = saved / "forecast"
    assert sorted(os.listdir(task_dir)) == ["1", "2"]
    assert complete(task_dir / "1") and complete(task_dir / "2")
