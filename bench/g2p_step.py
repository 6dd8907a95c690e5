"""CPU cost of one G2P training step, for choosing the quick preset.

Builds the G2P model of a preset (with `--set` overrides), trains it on the
first 20000 training words, and prints the CPU time (`time.process_time`,
all threads) and the wall time per step over `--steps` steps, after the same
number of warm-up steps. CPU time is the figure to compare on a shared
machine: it moves far less with other jobs than wall time does.

`--one-batch` trains on the first batch over and over: every step has
the same shapes, so XLA (`--set train.jit_compile=true`) compiles once and
the figure is the step itself. `--policy` sets a Keras mixed-precision
policy (e.g. `mixed_bfloat16`, which CPUs with AMX can run natively).

    python -m bench.g2p_step --set data.batch_size=64
    python -m bench.g2p_step --set data.batch_size=128 --set model.decoder_units=128
    python -m bench.g2p_step --one-batch --set train.jit_compile=true
"""

import argparse
import time


def main(argv=None):
    from pipeline.core import cli, schema

    parser = argparse.ArgumentParser(prog="python -m bench.g2p_step",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("--steps", type=cli.flag_type(schema.at_least(1)), default=40,
                        help="timed steps (and warm-up steps)")
    parser.add_argument("--preset", default="quick", help="configuration preset")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="configuration override, as in the stage scripts")
    parser.add_argument("--one-batch", action="store_true",
                        help="repeat the first batch (fixed shapes) instead of the data")
    parser.add_argument("--policy", default="float32",
                        help="Keras dtype policy, e.g. mixed_bfloat16 or mixed_float16")
    args = parser.parse_args(argv)
    import keras

    keras.mixed_precision.set_global_policy(args.policy)

    from pipeline.core import config as config_lib
    from pipeline.tasks.g2p import data as g2p_data
    from pipeline.tasks.g2p import inputs as g2p_inputs
    from pipeline.tasks.g2p import model as g2p_model

    config = config_lib.resolve("g2p", args.preset, sets=args.set)
    train = g2p_data.load().splits["train"]
    entries = dict(list(train.items())[:20000])
    vocabularies = g2p_inputs.build_vocabularies(train)
    batches = g2p_inputs.batches(g2p_inputs.as_dataset(entries), vocabularies,
                                 batch_size=config["data"]["batch_size"], training=True)
    batches = (batches.take(1).cache() if args.one_batch else batches).repeat()
    model = g2p_model.build_model(config, vocabularies)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0),
                  loss=g2p_model.loss(config["train"]["label_smoothing"]),
                  jit_compile=config["train"]["jit_compile"])
    model.fit(batches, steps_per_epoch=args.steps, epochs=1, verbose=0)  # trace, warm up
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(batches, steps_per_epoch=args.steps, epochs=1, verbose=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batch = config["data"]["batch_size"]
    what = " ".join([*args.set, *(["--one-batch"] if args.one_batch else []),
                     *([args.policy] if args.policy != "float32" else [])])
    print(f"{what or 'preset ' + args.preset}: "
          f"{1000 * cpu / args.steps:.1f} ms CPU/step ({1000 * cpu / args.steps / batch:.2f} "
          f"ms/example), {1000 * wall / args.steps:.1f} ms wall/step")
    return 0


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
