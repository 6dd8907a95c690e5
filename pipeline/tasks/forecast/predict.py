"""The forecast task's predict stage: one history a line in, its H
forecast values out."""

import re

import numpy as np

from pipeline.core.errors import UsageError
from pipeline.tasks.forecast.server import load_served, trained_window


def parse_history(text, number, window):
    """Values of one input (separated by commas and/or white space)."""
    fields = [f for f in re.split(r"[,\s]+", text.strip()) if f]
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise UsageError(f"input {number}: expected numbers separated by commas or spaces, "
                         f"got {text[:40]!r}") from None
    bad = [f for f, v in zip(fields, values, strict=True) if not np.isfinite(v)]
    if bad:
        raise UsageError(f"input {number}: value {bad[0]!r} is not a finite number; "
                         "give a history of finite numbers only")
    if len(values) < window:
        raise UsageError(f"input {number}: needs at least {window} values, got {len(values)}")
    return values[-window:]


def predict_values(config, run_dir, histories):
    """`[B, H]` raw forecasts of the network a run serves (`load_served`)
    for raw histories (sequences of at least `window` values; the last
    `window` are used)."""
    server, _, _ = load_served(run_dir, config)
    rows = np.array([list(h)[-server.window:] for h in histories], "float32")
    return server(rows).numpy()


def predict_lines(config, run_dir, inputs):
    """One line an input history: the H forecast values, tab-separated."""
    window = trained_window(run_dir)
    histories = [parse_history(text, i, window) for i, text in enumerate(inputs, 1)]
    return ["\t".join(f"{v:.4f}" for v in row)
            for row in predict_values(config, run_dir, histories)]
