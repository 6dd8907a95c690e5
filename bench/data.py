"""Input-pipeline throughput against what the task's model consumes.

For each task, measures in one run (a) examples per second the training
pipeline delivers (after its cache is warm, as in every epoch but the first)
and (b) examples per second one training step of the task's default model
consumes, and prints the ratio. The pipeline must never be the bottleneck:
the goal is a ratio of 10 or more. An "example" is one element of a batch:
a word (g2p), a truncated-BPTT segment (lm), a text (classify), a window
(forecast), a sequence (synthetic).

Each task's pipeline and model are the ones its train stage and its
keras-tuner search use: the task's training recipe (`Task.recipe`).

    python -m bench.data
    python -m bench.data --tasks g2p,lm --batches 50

The pipeline side is timed over a whole epoch after a warm-up epoch, so the
shuffle buffer's refill at each epoch start counts; the model side over
`--batches` calls of `train_on_batch` after two tracing calls.
"""

import argparse
import os
import tempfile
import time

from pipeline.core import cli, registry


def pipeline_rate(dataset):
    """Examples per second over one whole epoch (a fresh iterator, so the
    shuffle buffer is refilled as in training), after a warm-up epoch that
    fills the cache."""
    for _ in dataset:  # warm the cache (the first epoch)
        pass
    start, count = time.perf_counter(), 0
    for _, targets in dataset:
        count += int(targets.shape[0])
    return count / (time.perf_counter() - start)


def model_rate(model, dataset, batches):
    """Examples per second of `model.train_on_batch` over `batches` batches."""
    items = list(dataset.repeat().take(batches + 2))
    for features, targets in items[:2]:  # trace
        model.train_on_batch(features, targets)
    start, count = time.perf_counter(), 0
    for features, targets in items[2:]:
        model.train_on_batch(features, targets)
        count += int(targets.shape[0])
    return count / (time.perf_counter() - start)


def task_inputs(task, config, run_dir, data_dir):
    """`(train_batches, build_model, loss, metrics)` of a task's training
    (its `Recipe`)."""
    recipe = task.recipe(config, run_dir, data_dir=data_dir)
    return recipe.train_batches, recipe.build_model, recipe.loss, recipe.metrics


def bench_task(task, args, work_dir):
    """`(pipeline examples/s, model examples/s)` of one task."""
    import keras

    from pipeline.core import config as config_lib
    from pipeline.core import rundir

    task = registry.get(task)
    config = config_lib.resolve(task, args.preset)
    run_dir = os.path.join(work_dir, task.name)
    rundir.ensure_prepared(task, config, run_dir, None, args.data_dir)
    train, build_model, loss, metrics = task_inputs(task, config, run_dir, args.data_dir)
    supply = pipeline_rate(train)
    keras.utils.set_random_seed(0)
    model = build_model()
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    demand = model_rate(model, train, args.batches)
    return supply, demand


def main(argv=None):
    from pipeline.core import cli, schema

    parser = argparse.ArgumentParser(prog="python -m bench.data",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("--tasks", default=",".join(registry.names()), help="comma-separated tasks")
    parser.add_argument("--batches", type=cli.flag_type(schema.at_least(1)), default=100,
                        help="training steps timed on the model side")
    parser.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"),
                        help="configuration preset of the models")
    parser.add_argument("--data-dir", default=os.environ.get("TFDS_DATA_DIR"),
                        help="TFDS data directory")
    parser.add_argument("--work-dir", default=None,
                        help="where the prepared data go; None: a temporary directory")
    args = parser.parse_args(argv)
    if args.work_dir and os.path.exists(args.work_dir) and not os.path.isdir(args.work_dir):
        parser.error(f"--work-dir {args.work_dir}: not a directory")
    tasks = args.tasks.split(",")
    known = registry.names()
    unknown = sorted(set(tasks) - set(known))
    if unknown:
        parser.error(f"--tasks: unknown task {unknown[0]!r}; choose from {', '.join(known)}")
    print(f"{'task':<10}{'pipeline ex/s':>15}{'model ex/s':>13}{'ratio':>8}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-data-") as scratch:
        for task in tasks:
            supply, demand = bench_task(task, args, args.work_dir or scratch)
            print(f"{task:<10}{supply:>15.0f}{demand:>13.0f}{supply / demand:>8.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
