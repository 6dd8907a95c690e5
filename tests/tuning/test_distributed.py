"""Distributed search on loopback, with keras-tuner's chief/worker protocol
(KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT): one
chief and two workers complete every trial, each trial run once; a worker
killed mid-trial has its trial run again by the other worker."""

import glob
import json
import os
import re
import socket
import subprocess
import sys

import pytest

from tests.tuning.common import CHEAP, fix_flags

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: A worker that dies (like a killed machine) as its first trial starts training.
DOOMED = """
import os, sys
from pipeline.core.errors import run_cli
from tuning import hypermodel, search
hypermodel.TaskHyperModel.fit = lambda *args, **kwargs: os._exit(3)
sys.exit(run_cli(search.main, sys.argv[1:]))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tuner_id, port, argv, code=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERASTUNER_TUNER_ID": tuner_id,
           "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(port)}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "tuning.search"]
    return subprocess.Popen([*command, *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(processes):
    return {name: (p.communicate(timeout=900)[0], p.returncode)
            for name, p in processes.items()}


def trials_run(output, tuner_id):
    return re.findall(rf"\[{tuner_id}\] trial (\d+) begins", output)


def search_flags(directory, lexicon, tuner, trials, *extra):
    return ["--task", "g2p", "--tuner", tuner, "--preset", "smoke", "--dir", directory,
            "--data", lexicon, "--max-trials", str(trials), "--quiet", *fix_flags(CHEAP),
            *extra]


def test_chief_and_two_workers_run_every_trial_once(lexicon, tmp_path):
    """Hyperband (max 3 epochs, so its first bracket starts 3 one-epoch
    trials), served by a chief to two workers sharing `--dir`."""
    directory, port = str(tmp_path / "search"), free_port()
    argv = search_flags(directory, lexicon, "hyperband", 3, "--set", "train.epochs=3")
    processes = {name: start(name, port, argv) for name in ("chief", "worker0", "worker1")}
    results = finish(processes)
    for name, (output, code) in results.items():
        assert code == 0, f"{name}:\n{output[-3000:]}"
    ran = [t for name in ("worker0", "worker1") for t in trials_run(results[name][0], name)]
    assert sorted(ran) == ["0", "1", "2"]  # every trial, each by one worker, once
    with open(os.path.join(directory, "hyperband", "oracle.json"), encoding="utf-8") as handle:
        state = json.load(handle)
    assert state["run_times"] == {"0": 1, "1": 1, "2": 1}
    assert state["ongoing_trials"] == {}
    statuses = []
    for path in glob.glob(os.path.join(directory, "hyperband", "trial_*", "trial.json")):
        with open(path, encoding="utf-8") as handle:
            statuses.append(json.load(handle)["status"])
    assert statuses == ["COMPLETED"] * 3
    assert "val_wer" in results["chief"][0]  # the chief printed the summary table
    assert os.path.exists(os.path.join(directory, "summary.md"))
    for name in ("worker0", "worker1"):
        assert "no trials left" in results[name][0]


@pytest.mark.slow
def test_worker_killed_mid_trial_is_retried(lexicon, tmp_path):
    """A worker dies as its trial starts training; after `--worker-timeout`
    without its heartbeat the chief hands that trial to the other worker,
    and the search completes."""
    directory, port = str(tmp_path / "search"), free_port()
    argv = search_flags(directory, lexicon, "random", 3, "--worker-timeout", "10")
    processes = {"chief": start("chief", port, argv),
                 "doomed": start("doomed", port, argv, code=DOOMED),
                 "healthy": start("healthy", port, argv)}
    results = finish(processes)
    assert results["doomed"][1] == 3
    for name in ("chief", "healthy"):
        assert results[name][1] == 0, f"{name}:\n{results[name][0][-3000:]}"
    (lost,) = trials_run(results["doomed"][0], "doomed")
    assert "'doomed' sent no heartbeat" in results["chief"][0]
    assert sorted(trials_run(results["healthy"][0], "healthy")) == ["0", "1", "2"]
    with open(os.path.join(directory, "random", "oracle.json"), encoding="utf-8") as handle:
        state = json.load(handle)
    assert state["run_times"][lost] == 2
    with open(os.path.join(directory, "summary.json"), encoding="utf-8") as handle:
        assert [t["status"] for t in json.load(handle)["trials"]] == ["COMPLETED"] * 3
