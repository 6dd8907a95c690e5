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

`--parts` instead splits the gradient computation of one batch: the
encoder and the decoder (on a fixed encoder memory), each forward only and
forward plus backward, and the whole model, with the encoder's hand-written
backward pass through time (`models.Recurrent`, the default) and with
autodiff of its loop, alternated in one process. The decoder runs its own
loop, not a `Recurrent` layer, so its two columns time the same graph:
their ratio is the run's noise.

    python -m bench.g2p_step --set data.batch_size=64
    python -m bench.g2p_step --set data.batch_size=128 --set model.decoder_units=128
    python -m bench.g2p_step --one-batch --set train.jit_compile=true
    python -m bench.g2p_step --preset full --parts
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
    parser.add_argument("--parts", action="store_true",
                        help="time the encoder and decoder apart, hand-written backward "
                             "pass on and off")
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
    if args.parts:
        return print_parts(model, next(iter(batches)), g2p_model.loss(), rounds=args.steps)
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


def print_parts(model, batch, loss, rounds, calls=10):
    """Prints the median CPU time per call, over `rounds` rounds of `calls`
    calls, of each part of the gradient computation of `batch`, with the
    encoder's hand-written backward pass and with autodiff, alternated."""
    import statistics

    import tensorflow as tf

    from models.recurrent import Recurrent

    x, y = batch
    encoder = [v for v in model.trainable_variables if not v.path.startswith("g2p/decoder")]
    decoder = [v for v in model.trainable_variables if v.path.startswith("g2p/decoder")]
    memory = model.encode(x["graphemes"])

    def decode(training):
        return loss(y, model.decoder(x["decoder_inputs"], *memory, training=training)[0])

    def encode(training):
        outputs, _, summary = model.encode(x["graphemes"], training=training)
        return tf.reduce_sum(outputs) + tf.reduce_sum(summary)

    def gradient(value, variables):
        def run():
            with tf.GradientTape() as tape:
                result = value(True)
            return tape.gradient(result, variables)
        return run

    parts = {"encoder forward": lambda: encode(True),
             "encoder forward+backward": gradient(encode, encoder),
             "decoder forward": lambda: decode(True),
             "decoder forward+backward": gradient(decode, decoder),
             "whole model forward+backward":
                 gradient(lambda t: loss(y, model(x, training=t)), model.trainable_variables)}
    layers = [layer for layer in model._flatten_layers() if isinstance(layer, Recurrent)]
    times = {}  # (part, hand-written) -> {"run": traced function, "ms": [per round]}
    for _ in range(rounds):
        for handwritten in (True, False):
            for layer in layers:  # read when a function is traced
                layer.handwritten_gradient = handwritten
            for name, part in parts.items():
                entry = times.setdefault((name, handwritten), {"run": tf.function(part),
                                                               "ms": []})
                entry["run"]()  # the first call traces; every call warms
                start = time.process_time()
                for _ in range(calls):
                    entry["run"]()
                entry["ms"].append(1000 * (time.process_time() - start) / calls)
    print(f"graphemes {tuple(x['graphemes'].shape)}, decoder inputs "
          f"{tuple(x['decoder_inputs'].shape)}; median ms CPU a call over {rounds} rounds")
    print(f"  {'':<30} {'hand-written':>12} {'autodiff':>9} {'ratio':>6}")
    for name in parts:
        ours, autodiff = (statistics.median(times[name, h]["ms"]) for h in (True, False))
        print(f"  {name:<30} {ours:12.1f} {autodiff:9.1f} {ours / autodiff:6.2f}")
    return 0


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
