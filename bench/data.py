"""Input-pipeline throughput against what the task's model consumes.

For each task with a default model, measures in one run (a) examples per
second the training pipeline delivers (after its cache is warm, as in every
epoch but the first) and (b) examples per second one training step of the
task's default model consumes, and prints the ratio. The pipeline must never
be the bottleneck: the goal is a ratio of 10 or more.

    python -m bench.data
    python -m bench.data --batches 50

Tasks without a default model yet (lm, classify, forecast, synthetic) are
listed as such.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pipeline_rate(dataset, batches):
    """Examples per second over `batches` batches, after one warm-up pass."""
    for _ in dataset:  # warm the cache (the first epoch)
        pass
    start, count = time.perf_counter(), 0
    for i, (_, targets) in enumerate(dataset):
        count += int(targets.shape[0])
        if i + 1 >= batches:
            break
    return count / (time.perf_counter() - start)


def model_rate(model, dataset, batches):
    """Examples per second of `model.train_on_batch` over `batches` batches."""
    items = list(dataset.take(batches + 2))
    for features, targets in items[:2]:  # trace
        model.train_on_batch(features, targets)
    start, count = time.perf_counter(), 0
    for features, targets in items[2:]:
        model.train_on_batch(features, targets)
        count += int(targets.shape[0])
    return count / (time.perf_counter() - start)


def bench_g2p(args):
    import keras

    from pipeline import config as config_lib
    from pipeline import data as data_lib
    from pipeline.inputs import g2p as g2p_inputs
    from pipeline.tasks import g2p

    config = config_lib.resolve("g2p", args.preset)
    entries = g2p.splits(data_lib.load("g2p", data_dir=args.data_dir), config)["train"]
    vocabularies = g2p_inputs.build_vocabularies(entries)
    batches = g2p_inputs.batches(g2p.as_dataset(entries), vocabularies,
                                 batch_size=config["data"]["batch_size"], training=True)
    supply = pipeline_rate(batches, args.batches)
    model = g2p.build_model(config, vocabularies)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  ignore_class=0))
    demand = model_rate(model, batches, args.batches)
    return supply, demand


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.data",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--batches", type=int, default=100, help="batches timed per side")
    parser.add_argument("--preset", default="quick", help="configuration preset of the models")
    parser.add_argument("--data-dir", default=os.environ.get("TFDS_DATA_DIR"),
                        help="TFDS data directory")
    args = parser.parse_args(argv)
    print(f"{'task':<10}{'pipeline ex/s':>15}{'model ex/s':>13}{'ratio':>8}")
    supply, demand = bench_g2p(args)
    print(f"{'g2p':<10}{supply:>15.0f}{demand:>13.0f}{supply / demand:>8.1f}")
    for task in ("lm", "classify", "forecast", "synthetic"):
        print(f"{task:<10}{'no default model yet (issue 5)':>36}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
