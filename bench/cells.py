"""Training-step time of every rnnlab cell, as ratios against peers.

Each cell runs through the fast layer `models.Recurrent` in a small regression
model (`Recurrent(cell)` then `Dense(1)` on the last output, Adam, MSE loss),
with and without XLA. One training step (`model.train_on_batch`) is timed and
compared with peers that do the same work in the same process run:

- `keras.layers.LSTM`, with and without XLA;
- PyTorch `nn.LSTM` and `nn.GRU` + `nn.Linear` (zero_grad, forward, loss,
  backward, Adam step), when torch is installed (`pip install -e .[bench]`).
  GRU-type cells (GRU, minimal GRU) are compared with `nn.GRU`, the others
  with `nn.LSTM`.

It runs on the device TensorFlow and PyTorch choose (a GPU when both see
one) and says which. PyTorch's OpenMP threads spin-wait by default, which
collapses under load from other processes; the setup lines print
`OMP_WAIT_POLICY` (`OMP_WAIT_POLICY=passive` is the fair setting on a shared
machine).

The machines are shared and noisy, so absolute times mean little: read the
ratios. Variants are measured round-robin over several rounds (the order
rotates each round) and the median per variant is reported.

Usage:

    python -m bench.cells                  # everything, a few minutes
    python -m bench.cells --cells LSTMCell,GRUCell --rounds 3
    python -m bench.cells --help
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

# TensorFlow, Keras and the models are imported after the flags are parsed,
# so that `--help` and flag errors answer at once.

CELL_NAMES = [
    "ElmanCell",
    "JordanCell",
    "GRUCell",
    "MinimalGRUCell",
    "LSTMCell",
    "PeepholeLSTMCell",
    "CIFGLSTMCell",
    "ESNCell",
    "ClockworkCell",
]

KERAS_LSTM = "keras LSTM"
TORCH_LSTM = "torch nn.LSTM"
TORCH_GRU = "torch nn.GRU"
#: rnnlab cells compared with torch's nn.GRU rather than nn.LSTM.
GRU_LIKE = ("GRUCell", "MinimalGRUCell")


def log(message):
    """Progress goes to stderr so that stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


def available_cores():
    """CPU cores this process may run on (what TF's thread pools default to)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def import_torch():
    """Returns the `torch` module, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# ---------------------------------------------------------------- variants
class Variant:
    """One model to time: a name and a zero-argument `step` that runs one
    complete, synchronous training step."""

    def __init__(self, name, step):
        self.name = name
        self.step = step
        self.times_ms = []  # ms per step, one entry per round

    @property
    def median_ms(self):
        return statistics.median(self.times_ms)


def keras_variant(name, layer, data, jit_compile):
    """A `Sequential` regression model around `layer`, stepped with
    `train_on_batch`.

    If Keras refuses XLA for the model it falls back to `jit_compile=False`;
    the name then says so, so that the report never claims XLA it did not use.
    """
    import keras

    x, y = data
    model = keras.Sequential([keras.Input(x.shape[1:]), layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse", jit_compile=jit_compile)
    if jit_compile:
        name += " +XLA" if model.jit_compile else " (XLA refused)"
    return Variant(name, lambda: model.train_on_batch(x, y))


def torch_device(torch):
    """"cuda" when PyTorch sees a GPU, else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def torch_regressor(torch, kind, features, units):
    """`nn.LSTM` (or `nn.GRU`, `kind`) over `[B, T, features]` and
    `nn.Linear` on its last output: the PyTorch peer of every bench."""
    nn = torch.nn

    class Regressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(nn, kind)(features, units, batch_first=True)
            self.head = nn.Linear(units, 1)

        def forward(self, inputs):
            outputs, _ = self.rnn(inputs)  # [B, T, units]
            return self.head(outputs[:, -1])

    return Regressor()


def torch_variant(torch, data, units, kind="LSTM"):
    """`nn.LSTM` (or `nn.GRU`) + `nn.Linear` on the last output, one full Adam
    step, on PyTorch's device (synchronised, so that the time is the step's)."""
    nn = torch.nn
    device = torch_device(torch)
    x_np, y_np = data
    x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)
    model = torch_regressor(torch, kind, x_np.shape[-1], units).to(device)
    optimizer = torch.optim.Adam(model.parameters())
    loss_fn = nn.MSELoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()

    return Variant(TORCH_LSTM if kind == "LSTM" else TORCH_GRU, step)


def build_variants(args, data, torch):
    """All the variants the flags ask for, peers first."""
    import keras

    from models import Recurrent, cells

    xla_modes = [False] if args.no_xla else [False, True]
    variants = []
    for jit in xla_modes:
        variants.append(keras_variant(KERAS_LSTM, keras.layers.LSTM(args.units), data, jit))
    if torch is not None:
        variants.append(torch_variant(torch, data, args.units))
        if any(name in GRU_LIKE for name in args.cells):
            variants.append(torch_variant(torch, data, args.units, kind="GRU"))
    for cell_name in args.cells:
        for projection in args.projections:
            for jit in xla_modes:
                cell = getattr(cells, cell_name)(args.units)
                layer = Recurrent(cell, input_projection=projection)
                name = f"rnnlab {cell_name}" + ("" if projection == "sequence" else " [step]")
                variants.append(keras_variant(name, layer, data, jit))
    return variants


# ------------------------------------------------------------ what limits it
def gemm_throughput(torch, batch, units, gates=4, chain=100, repeats=5, xla=True):
    """GFLOP/s of the recurrent product ``h [batch, units] @ U [units, gates*units]``.

    This product runs T times forward and twice per step backward, so it
    bounds every variant above. Each engine runs a chain of `chain`
    dependent products (no common-subexpression elimination); the best of
    `repeats` chains counts.
    """
    import tensorflow as tf

    rng = np.random.default_rng(1)
    h0 = rng.standard_normal((batch, units), dtype="float32")
    u = (rng.standard_normal((units, gates * units)) / np.sqrt(units)).astype("float32")
    flops = 2.0 * batch * units * gates * units * chain

    def tf_chain(h, kernel):
        for _ in range(chain):
            h = tf.tanh(tf.matmul(h, kernel)[:, :units])
        return h

    engines = {"TensorFlow": tf.function(tf_chain)}
    if xla:
        engines["TensorFlow +XLA"] = tf.function(tf_chain, jit_compile=True)
    args = {name: (tf.constant(h0), tf.constant(u)) for name in engines}
    if torch is not None:

        def torch_chain(h, kernel):
            with torch.no_grad():
                for _ in range(chain):
                    h = torch.tanh((h @ kernel)[:, :units])
            return h

        engines["PyTorch"] = torch_chain
        args["PyTorch"] = (torch.from_numpy(h0), torch.from_numpy(u))
    rates = {}
    for name, fn in engines.items():
        np.asarray(fn(*args[name]))  # trace, compile
        best = min(_timed(lambda fn=fn, a=args[name]: np.asarray(fn(*a))) for _ in range(repeats))
        rates[name] = flops / best / 1e9
    return rates


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ------------------------------------------------------------------ timing
def warm_up(variants, steps):
    """Runs `steps` untimed steps per variant (tracing, XLA compilation)."""
    for i, variant in enumerate(variants, 1):
        start = time.perf_counter()
        for _ in range(steps):
            variant.step()
        elapsed = time.perf_counter() - start
        log(f"[{i}/{len(variants)}] warmed up {variant.name} in {elapsed:.1f} s")


def measure(variants, rounds, steps):
    """Times `steps` steps per variant per round, round-robin.

    The order rotates every round, and one untimed step precedes each timed
    block, so no variant always follows the same neighbour or pays for
    switching thread pools and caches.
    """
    for r in range(rounds):
        start_round = time.perf_counter()
        shift = r % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            variant.step()
            start = time.perf_counter()
            for _ in range(steps):
                variant.step()
            variant.times_ms.append((time.perf_counter() - start) * 1000 / steps)
        log(f"round {r + 1}/{rounds} done in {time.perf_counter() - start_round:.1f} s")


# ------------------------------------------------------------------ report
def ratio(variant, peer):
    if peer is None:
        return "-"
    return f"{variant.median_ms / peer.median_ms:.2f}x"


def report(variants):
    """Prints one row per variant: median ms/step, spread over rounds, and
    time ratios against the peers (above 1 = slower than the peer)."""
    by_name = {v.name: v for v in variants}
    keras_peer = by_name.get(KERAS_LSTM)
    width = max(len(v.name) for v in variants)
    header = (
        f"{'variant':<{width}}  {'ms/step':>8}  {'min-max':>13}  "
        f"{'vs torch':>10}  {'vs keras LSTM':>13}"
    )
    print(header)
    print("-" * len(header))
    for v in variants:
        gru_like = v.name == TORCH_GRU or any(f" {c}" in v.name for c in GRU_LIKE)
        torch_peer = by_name.get(TORCH_GRU if gru_like else TORCH_LSTM)
        peer = "-" if torch_peer is None else f"{ratio(v, torch_peer)} {torch_peer.name[9:]}"
        spread = f"{min(v.times_ms):.1f}-{max(v.times_ms):.1f}"
        print(
            f"{v.name:<{width}}  {v.median_ms:>8.1f}  {spread:>13}  "
            f"{peer:>10}  {ratio(v, keras_peer):>13}"
        )
    print(
        "\nms/step: median over rounds; min-max: spread of the per-round means.\n"
        "vs torch: ms/step divided by that of torch's nn.GRU (GRU and minimal GRU\n"
        "cells) or nn.LSTM (the others) in this run; vs keras LSTM: divided by\n"
        "keras.layers.LSTM's (no XLA)."
    )


def describe_setup(args, torch):
    """Prints versions, threads and the configuration being measured."""
    import keras
    import tensorflow as tf

    cores = available_cores()
    threading = tf.config.threading
    print(
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}"
    )
    gpus = tf.config.list_logical_devices("GPU")
    device = f"GPU {[g.name for g in gpus]}" if gpus else f"CPU ({platform.machine()})"
    print(
        f"TensorFlow device: {device}; PyTorch device: "
        f"{torch_device(torch) if torch is not None else '-'}; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}"
    )
    print(
        f"CPU cores available: {cores}; TF threads: intra-op "
        f"{threading.get_intra_op_parallelism_threads()}, inter-op "
        f"{threading.get_inter_op_parallelism_threads()} (0 = default, all cores)"
    )
    if torch is None:
        print(
            "PyTorch peer skipped: torch is not installed. "
            "Install it with `pip install -e .[bench]` (torch==2.13.0)."
        )
    else:
        print(
            f"PyTorch {torch.__version__}: intra-op threads {torch.get_num_threads()}, "
            f"inter-op threads {torch.get_num_interop_threads()}"
        )
    print(
        f"batch {args.batch}, time steps {args.time}, features {args.features}, "
        f"units {args.units}; Dense(1) head, Adam, MSE; "
        f"{args.rounds} rounds x {args.steps} timed steps per variant\n"
    )


# -------------------------------------------------------------------- main
def set_tf_threads(threads):
    """TF's intra-op threads (0 = its default, one per available core). Must
    run before TF starts its context (before the first layer is built)."""
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)


def set_torch_threads(threads, torch):
    """Gives torch as many intra-op threads as TF (0: one per available core)."""
    if torch is not None:
        torch.set_num_threads(threads or available_cores())


def parse_args(argv=None):
    from pipeline.core import cli

    parser = argparse.ArgumentParser(
        prog="python -m bench.cells",
        description=__doc__.split("\n\n")[0],
        epilog=(
            "Each variant is one training step of Input -> layer -> Dense(1), "
            "Adam, MSE. Timings are ratios against peers measured in the same "
            "run; the machines are shared and noisy."
        ),
        formatter_class=cli.HelpFormatter,
    )
    parser.add_argument("--steps", type=int, default=20, help="timed steps per variant per round")
    parser.add_argument(
        "--rounds", type=int, default=5, help="round-robin rounds; the median is reported"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per variant first")
    parser.add_argument(
        "--cells",
        default=",".join(CELL_NAMES),
        help="comma-separated rnnlab cells to time (the peers always run)",
    )
    parser.add_argument("--batch", type=int, default=64, help="batch size")
    parser.add_argument("--time", type=int, default=50, help="time steps per sequence")
    parser.add_argument("--features", type=int, default=64, help="input features per step")
    parser.add_argument("--units", type=int, default=256, help="hidden units of every layer")
    parser.add_argument(
        "--projections",
        default="sequence,step",
        help="input projections of models.Recurrent to time: 'sequence' (all steps in "
        "one product before the loop) and/or 'step' (inside the loop)",
    )
    parser.add_argument(
        "--no-xla", action="store_true", help="skip the jit_compile=True (XLA) variants"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="intra-op threads of TF and torch alike; 0 = TF's default (all cores), "
        "torch set to the same count",
    )
    args = parser.parse_args(argv)
    args.cells = [name.strip() for name in args.cells.split(",") if name.strip()]
    args.projections = [p.strip() for p in args.projections.split(",") if p.strip()]
    if not args.projections or set(args.projections) - {"sequence", "step"}:
        parser.error("--projections takes 'sequence', 'step' or both, comma-separated")
    unknown = sorted(set(args.cells) - set(CELL_NAMES))
    if unknown:
        parser.error(f"unknown cells {unknown}; choose from {', '.join(CELL_NAMES)}")
    if not args.cells:
        parser.error(f"--cells: give at least one of {', '.join(CELL_NAMES)}")
    for flag in ("steps", "rounds", "batch", "time", "features", "units"):
        if getattr(args, flag) <= 0:
            parser.error(f"--{flag} must be positive")
    if args.threads < 0:
        parser.error("--threads must be 0 (default) or positive")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1 (the first step traces and compiles)")
    set_tf_threads(args.threads)  # building a cell below starts TF's context
    try:  # a size a cell cannot take (ClockworkCell: a multiple of its modules)
        from models import cells

        for name in args.cells:
            getattr(cells, name)(args.units)
    except ValueError as error:
        parser.error(f"--units {args.units}: {error}")
    return args


def main(argv=None):
    args = parse_args(argv)
    import keras

    torch = import_torch()
    set_torch_threads(args.threads, torch)
    keras.utils.set_random_seed(0)
    if torch is not None:
        torch.manual_seed(0)

    rng = np.random.default_rng(0)
    data = (
        rng.standard_normal((args.batch, args.time, args.features), dtype="float32"),
        rng.standard_normal((args.batch, 1), dtype="float32"),
    )
    describe_setup(args, torch)
    start = time.perf_counter()
    variants = build_variants(args, data, torch)
    warm_up(variants, args.warmup)
    measure(variants, args.rounds, args.steps)
    report(variants)
    rates = gemm_throughput(torch, args.batch, args.units, xla=not args.no_xla)
    print(
        f"\nRecurrent product [{args.batch}, {args.units}] x [{args.units}, {4 * args.units}] "
        "(runs 3T times per training step), GFLOP/s:"
    )
    for name, rate in rates.items():
        print(f"  {name:<16} {rate:7.1f}")
    print(f"\nTotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
