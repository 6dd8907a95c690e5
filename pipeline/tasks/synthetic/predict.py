"""The synthetic task's predict stage: one input line a sequence."""

import numpy as np

from pipeline.core.errors import UsageError
from pipeline.tasks.synthetic.config import PROBLEMS
from pipeline.tasks.synthetic.model import check_config, load_trained

#: An input of each problem, as `predict` reads it.
SAMPLES = {"adding": ["0.5:1 0.2:0 0.25:1 0.9:0"], "copy": ["3 5 0 0 9 0 0"],
           "parity": ["0110", "1"]}


def parse_line(problem, line):
    """One input line -> a `[1, T, ...]` array (see `predict_lines`)."""
    values = ids = None
    try:
        if problem == "adding":
            values = [(float(v), float(m)) for v, m in (t.split(":") for t in line.split())]
        else:
            tokens = line.split() if problem == "copy" else list(line.replace(" ", ""))
            ids = [int(t) for t in tokens]
    except ValueError:
        pass
    top = PROBLEMS[problem]["input_vocabulary"] - 1
    if values and all(np.isfinite(v) and m in (0.0, 1.0) for v, m in values):
        return np.asarray([values], "float32")  # [1, T, 2]
    if ids and 0 <= min(ids) and max(ids) <= top:
        return np.asarray([ids], "int32")  # [1, T]
    form = {"adding": "value:marker pairs, finite values and markers 0 or 1, "
                      "e.g. '0.3:0 0.7:1 0.1:1'",
            "copy": f"space-separated symbols 0-{top}, e.g. '3 5 0 0 9 0 0'",
            "parity": "a string of bits, e.g. '0110'"}[problem]
    raise UsageError(f"input {line!r}: {problem} takes {form}")


def predict_lines(config, run_dir, inputs):
    """`input<TAB>answer` lines: adding the predicted sum; copy the symbol
    tagged at each step; parity the parity bit of each step."""
    check_config(config)
    problem = config["synthetic"]["problem"]
    arrays = [parse_line(problem, line) for line in inputs]
    model = load_trained(run_dir)
    lines = []
    for line, x in zip(inputs, arrays, strict=True):
        y = np.asarray(model(x))
        if problem == "adding":
            answer = f"{float(y[0, 0]):.4f}"
        else:
            tags = y[0].argmax(axis=-1)
            answer = " ".join(map(str, tags)) if problem == "copy" else "".join(map(str, tags))
        lines.append(f"{line}\t{answer}")
    return lines
