"""Where an evaluation of one split writes its metrics and plots.

The test split's evaluation is the run's result (docs/architecture.md section 2):
`<run-dir>/metrics.json` and `<run-dir>/plots/`. Scoring the validation
split (`python -m pipeline.evaluate --split validation`) is for choosing
settings that need no retraining (decoding options, ensembles) without
looking at the test split; it writes under `<run-dir>/validation/`, so the
run's test result stays as it was.
"""

import os

#: The splits `python -m pipeline.evaluate --split` scores.
SPLITS = ("test", "validation")


def output_dir(run_dir, split):
    """The directory of `metrics.json` and `plots/` for `split`."""
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}. Received: split={split!r}")
    return run_dir if split == "test" else os.path.join(run_dir, split)


def metrics_path(run_dir, split):
    return os.path.join(output_dir(run_dir, split), "metrics.json")


def plots_dir(run_dir, split):
    return os.path.join(output_dir(run_dir, split), "plots")
