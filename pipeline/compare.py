"""`python -m pipeline.compare --task T --models a,b,...`: train variants on one budget.

Trains each named variant of a task (its `VARIANTS`, e.g. attention styles
for g2p, cells for synthetic) with the same preset, data and overrides,
evaluates it, and writes `reports/<task>.md`: a table of the task's metrics,
parameter count, training time and inference time per example, with a bar
chart of the main metric and the validation-loss curves of every variant.
Times are measured on this machine in this run, so compare them only
within one report.

    python -m pipeline.compare --task g2p --models luong,bahdanau,none
"""

import json
import os
import sys
import time

from pipeline.core import cli, registry
from pipeline.core.errors import UsageError


def variant_config(config, task, name):
    """`config` with the overrides of variant `name`."""
    from pipeline.core import config as config_lib

    if name not in task.variants:
        raise UsageError(f"--models {name}: unknown variant; choose from "
                         f"{', '.join(task.variants)}")
    merged = config_lib.merge(config, task.variants[name], f"variant {name}")
    return {**merged, "variant": name}


def inference_seconds(task, config, run_dir, data, data_dir, repeats=3):
    """Seconds per example of the trained model's inference: the median of
    `repeats` timed calls of the task's `inference_batch`, after one warm-up."""
    infer, count = task.inference_batch(config, run_dir, data=data, data_dir=data_dir)
    infer()  # warm-up: tracing, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        infer()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] / count


def run_variant(task, config, run_dir, data=None, data_dir=None):
    """Trains and evaluates one variant; returns its report row."""
    from pipeline.core import training

    start = time.perf_counter()
    task.train(config, run_dir, data=data, data_dir=data_dir)
    train_seconds = time.perf_counter() - start
    metrics = task.evaluate(config, run_dir, data=data, data_dir=data_dir)
    model = training.load_trained(run_dir)
    with open(os.path.join(run_dir, "train_history.json"), encoding="utf-8") as handle:
        history = json.load(handle)
    return {
        "variant": config["variant"], "metrics": metrics, "params": model.count_params(),
        "train_seconds": train_seconds, "epochs": len(history.get("loss", [])),
        "inference_ms": 1000 * inference_seconds(task, config, run_dir, data, data_dir),
        "val_loss": history.get("val_loss", []),
    }


def format_value(value):
    """A table cell: floats to 4 decimals, a metric the variant lacks as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def report_markdown(task, preset, rows, metric_names, command, plots):
    """The Markdown of `reports/<task>.md`."""
    header = ["variant", *metric_names, "parameters", "epochs", "train s",
              "inference ms/example"]
    lines = [
        f"# {task}: variants compared at the `{preset}` preset", "",
        f"Made by `{command}` on one machine in one run; times are wall-clock",
        "seconds on that machine, comparable only within this report.", "",
        "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
    ]
    for row in rows:
        values = [row["variant"], *(format_value(row["metrics"].get(m)) for m in metric_names),
                  f"{row['params']:,}", str(row["epochs"]), f"{row['train_seconds']:.0f}",
                  f"{row['inference_ms']:.2f}"]
        lines.append("| " + " | ".join(values) + " |")
    lines.append("")
    for title, path in plots:
        lines += [f"![{title}]({path})", ""]
    return "\n".join(lines)


def plot(rows, metric, directory):
    """Bar chart of `metric` and validation-loss curves; returns
    `[(title, path relative to reports/)]`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipeline.core import atomic

    out = []
    fig, ax = plt.subplots(figsize=(1.2 * len(rows) + 2, 3))
    ax.bar([r["variant"] for r in rows], [r["metrics"].get(metric, float("nan")) for r in rows])
    ax.set_ylabel(metric)
    fig.tight_layout()
    out.append((metric, atomic.save_figure(fig, os.path.join(directory, f"{metric}.png"))))
    fig, ax = plt.subplots(figsize=(5, 3))
    for row in rows:
        if row["val_loss"]:
            ax.plot(range(1, len(row["val_loss"]) + 1), row["val_loss"], marker="o",
                    label=row["variant"])
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.legend()
    fig.tight_layout()
    out.append(("validation loss", atomic.save_figure(fig, os.path.join(directory,
                                                                         "val_loss.png"))))
    return out


def compare(task, names, config, base_dir, reports_dir="reports", data=None, data_dir=None,
            command=""):
    """Trains every variant of `names`; writes `<reports_dir>/<task>.md` and its
    plots; returns the rows."""
    from pipeline.core import atomic

    task = registry.get(task) if isinstance(task, str) else task
    configs = [variant_config(config, task, name) for name in names]  # fail early
    rows = []
    for variant in configs:
        print(f"== {task.name} variant {variant['variant']}", flush=True)
        rows.append(run_variant(task, variant, os.path.join(base_dir, variant["variant"]),
                                data, data_dir))
    metric_names = list(task.compare_metrics)
    plots = plot(rows, metric_names[0], os.path.join(reports_dir, task.name))
    plots = [(title, os.path.relpath(path, reports_dir)) for title, path in plots]
    text = report_markdown(task.name, config["preset"], rows, metric_names, command, plots)
    path = os.path.join(reports_dir, f"{task.name}.md")
    atomic.write_text(path, text)
    atomic.write_json(os.path.join(reports_dir, task.name, "rows.json"),
                      [{k: v for k, v in row.items() if k != "metrics"} | {
                          "metrics": {k: v for k, v in row["metrics"].items()
                                      if isinstance(v, (int, float))}} for row in rows])
    return rows


def main(argv=None):
    parser = cli.parser("compare", __doc__.split("\n\n")[1],
                          run_dir_help="where the variants' runs go, one directory each "
                          "(default: runs/<task>/<preset>-compare)")
    parser.add_argument("--models", required=True,
                        help="comma-separated variants of the task (its variants) "
                        "(e.g. g2p: luong,luong-local-p,bahdanau,none,transformer)")
    parser.add_argument("--reports-dir", default="reports", help="where the report goes")
    args = parser.parse_args(argv)
    args.run_dir = base = args.run_dir or os.path.join("runs", args.task,
                                                       f"{args.preset}-compare")
    config = cli.resolve(args)
    names = [n for n in args.models.split(",") if n]
    if not names:
        raise UsageError("--models: give at least one variant")
    command = "python -m pipeline.compare " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = compare(args.task, names, config, base, args.reports_dir, args.data, args.data_dir,
                   command)
    metric = cli.task_of(args).compare_metrics[0]
    for row in rows:
        print(f"{row['variant']:<16} {metric} {format_value(row['metrics'].get(metric))}  "
              f"train {row['train_seconds']:.0f} s")
    print(f"wrote {os.path.join(args.reports_dir, args.task + '.md')}")
    return 0


if __name__ == "__main__":
    cli.run_command(main)
