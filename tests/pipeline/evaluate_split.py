"""Shared by the task tests: `python -m pipeline.evaluate --split validation`
on a smoke run, returning the metrics it wrote."""

import json
import os

from pipeline import evaluate as evaluate_stage


def evaluate_validation(task, run_dir, *flags):
    """Runs the evaluate stage on the validation split of the smoke run in
    `run_dir` (extra `flags`, e.g. `--data`) and returns
    `<run_dir>/validation/metrics.json`."""
    args = ["--task", task, "--preset", "smoke", "--run-dir", run_dir, "--split", "validation"]
    assert evaluate_stage.main([*args, *flags]) == 0
    with open(os.path.join(run_dir, "validation", "metrics.json"), encoding="utf-8") as handle:
        return json.load(handle)
