"""The result of a search: a table of trials and a plot of the objective.

`rows(oracle)` lists every trial, best first (completed trials sorted by the
objective, then the others with their status and error), `table(rows)` is
the Markdown table printed and written to `<dir>/summary.md`,
`plot(rows, ...)` draws the objective of each trial in the order they ran,
with the best so far and, when measured, the default configuration.
"""

import math
import os

from pipeline.core import atomic

#: Hyperband's bookkeeping values worth a column.
EPOCHS = "tuner/epochs"


def rows(oracle):
    """`[{"trial", "status", "score", "step", "values", "message"}]`, best first."""
    out = []
    for trial_id, trial in oracle.trials.items():
        values = {k: v for k, v in trial.hyperparameters.values.items()
                  if not k.startswith("tuner/") or k == EPOCHS}
        score = trial.score if trial.status == "COMPLETED" else None
        lines = (trial.message or "").strip().splitlines()
        out.append({"trial": trial_id, "status": trial.status, "score": score,
                    "step": trial.best_step, "values": values,
                    "message": lines[-1] if lines else None})
    sign = -1 if oracle.objective.direction == "max" else 1
    out.sort(key=lambda r: (r["score"] is None or math.isnan(r["score"]),
                            sign * r["score"] if r["score"] is not None else 0, r["trial"]))
    return out


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def table(rows_, objective_name, limit=None, baseline=None):
    """A Markdown table: rank, trial, status, objective, best epoch, then one
    column per hyperparameter; the default configuration first when given."""
    shown = rows_[:limit] if limit else rows_
    names = []
    for row in shown:
        names += [n for n in row["values"] if n not in names]
    header = ["rank", "trial", "status", objective_name, "best epoch", *names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    if baseline is not None:
        cells = ["-", "default config", "COMPLETED", _cell(baseline["value"]),
                 _cell(baseline["step"]), *[""] * len(names)]
        lines.append("| " + " | ".join(cells) + " |")
    for rank, row in enumerate(shown, 1):
        cells = [str(rank), row["trial"], row["status"], _cell(row["score"]),
                 _cell(row["step"] if row["score"] is not None else None),
                 *[_cell(row["values"].get(n)) for n in names]]
        lines.append("| " + " | ".join(cells) + " |")
    failed = [r for r in rows_ if r["status"] != "COMPLETED"]
    for row in failed:
        if row["message"]:
            lines.append(f"\ntrial {row['trial']} ({row['status']}): {row['message']}")
    return "\n".join(lines)


def plot(rows_, objective, path, baseline=None):
    """A PNG of the objective per trial (in the order trials started), the
    best so far, failed trials as crosses and the default configuration as a
    dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(rows_, key=lambda r: r["trial"])
    done = [(i, r["score"]) for i, r in enumerate(ordered) if r["score"] is not None]
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(ordered) + 2), 3.2))
    if done:
        xs, ys = zip(*done, strict=True)
        ax.plot(xs, ys, "o", label="trial")
        pick = max if objective.direction == "max" else min
        best = [pick(ys[: k + 1]) for k in range(len(ys))]
        ax.step(xs, best, where="post", label="best so far")
    failed = [i for i, r in enumerate(ordered) if r["score"] is None]
    if failed and done:
        ax.plot(failed, [max(ys) if objective.direction == "min" else min(ys)] * len(failed),
                "x", color="red", label="failed / unfinished")
    if baseline is not None:
        ax.axhline(baseline["value"], linestyle="--", color="gray", label="default config")
    ax.set_xticks(range(len(ordered)), [r["trial"] for r in ordered], rotation=90, fontsize=7)
    ax.set_xlabel("trial")
    ax.set_ylabel(objective.name)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return atomic.save_figure(fig, path)


def write(directory, oracle, limit=10, baseline=None):
    """Writes `summary.md`, `summary.json` and `plots/objective.png` under
    `directory`; returns the printed table."""
    rows_ = rows(oracle)
    text = table(rows_, oracle.objective.name, limit=limit, baseline=baseline)
    atomic.write_text(os.path.join(directory, "summary.md"), text + "\n")
    atomic.write_json(os.path.join(directory, "summary.json"),
                      {"objective": {"name": oracle.objective.name,
                                     "direction": oracle.objective.direction},
                       "baseline": baseline, "trials": rows_})
    plot(rows_, oracle.objective, os.path.join(directory, "plots", "objective.png"), baseline)
    return text

