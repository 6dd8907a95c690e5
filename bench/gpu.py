"""Training-step time of `models.Recurrent` on a GPU against cuDNN peers, and
an export made on the GPU answered with CUDA hidden.

For each size (batch, time steps, inputs, units) and precision (float32,
mixed float16), one training step (`train_on_batch`: Recurrent(cell) then
Dense(1) on the last output, Adam, MSE) of every rnnlab cell is timed with
its peers in the same process run:

- `keras.layers.LSTM`, which runs cuDNN on a GPU;
- PyTorch `nn.LSTM` (cuDNN; under `torch.autocast` for mixed float16), when
  torch is installed (`pip install -e .[bench]`).

`Recurrent` runs Keras' cuDNN functions for `LSTMCell` and `GRUCell` in
training calls, and its generic loop for the other cells. Then a model of
`Recurrent(LSTMCell)` trained a step on the GPU is exported
(`tf.saved_model.save` with a serving signature), checked for ops named
`Cudnn*`, and loaded and answered by a fresh process that cannot see CUDA
(`CUDA_VISIBLE_DEVICES=""`); the answer must equal the model's.

It needs a GPU that TensorFlow sees; without one it says so and stops (exit
2), unless `--allow-cpu` (for checking the script itself, at a small size).

Usage:

    python -m bench.gpu                    # both sizes, both precisions, < 5 min
    python -m bench.gpu --cells LSTMCell,GRUCell --precisions float32
    python -m bench.gpu --allow-cpu --sizes 8x5x4x8 --rounds 1 --steps 1
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench.cells import (
    CELL_NAMES,
    KERAS_LSTM,
    TORCH_LSTM,
    Variant,
    import_torch,
    log,
    measure,
    torch_regressor,
    warm_up,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_SIZES = "64x50x64x256,128x100x512x512"


def parse_size(text):
    """'BxTxDxU' -> (batch, time, features, units)."""
    parts = text.lower().split("x")
    if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"a size is BxTxDxU with positive integers. Received: {text!r}")
    return tuple(int(p) for p in parts)


# ---------------------------------------------------------------- variants
def keras_variant(name, layer, data):
    import keras

    x, y = data
    model = keras.Sequential([keras.Input(x.shape[1:]), layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    return Variant(name, lambda: float(model.train_on_batch(x, y)))  # float(): synchronise


def torch_variant(torch, data, units, mixed):
    """`nn.LSTM` + `nn.Linear` on CUDA (cuDNN), fp16 autocast and a gradient
    scaler for mixed precision; synchronised after each step."""
    nn = torch.nn
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x_np, y_np = data
    x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)

    model = torch_regressor(torch, "LSTM", x_np.shape[-1], units).to(device)
    optimizer = torch.optim.Adam(model.parameters())
    loss_fn = nn.MSELoss()
    mixed = mixed and device == "cuda"
    scaler = torch.amp.GradScaler(device, enabled=mixed)

    def step():
        optimizer.zero_grad()
        with torch.autocast(device, dtype=torch.float16, enabled=mixed):
            loss = loss_fn(model(x).float(), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if device == "cuda":
            torch.cuda.synchronize()

    return Variant(TORCH_LSTM, step)


def build_variants(args, size, precision, torch):
    import keras

    from models import Recurrent, cells

    batch, steps, features, units = size
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((batch, steps, features), dtype="float32"),
            rng.standard_normal((batch, 1), dtype="float32"))
    keras.config.set_dtype_policy("mixed_float16" if precision == "mixed_float16" else "float32")
    variants = [keras_variant(KERAS_LSTM, keras.layers.LSTM(units), data)]
    if torch is not None:
        variants.append(torch_variant(torch, data, units, precision == "mixed_float16"))
    for name in args.cells:
        try:
            cell = getattr(cells, name)(units)
        except ValueError as error:  # a size the cell cannot take (Clockwork)
            log(f"skipped {name} at {units} units: {error}")
            continue
        variants.append(keras_variant(f"rnnlab {name}", Recurrent(cell), data))
    return variants


def report(title, variants):
    by_name = {v.name: v for v in variants}
    peers = [by_name.get(KERAS_LSTM), by_name.get(TORCH_LSTM)]
    print(f"\n{title}")
    width = max(len(v.name) for v in variants)
    header = f"{'variant':<{width}}  {'ms/step':>8}  {'vs keras LSTM':>13}  {'vs torch LSTM':>13}"
    print(header)
    print("-" * len(header))
    for v in variants:
        ratios = ["-" if p is None else f"{v.median_ms / p.median_ms:.2f}x" for p in peers]
        print(f"{v.name:<{width}}  {v.median_ms:>8.1f}  {ratios[0]:>13}  {ratios[1]:>13}")


# ----------------------------------------------------------------- export
_ANSWER = """
import json, sys
import numpy as np, tensorflow as tf
assert not tf.config.list_physical_devices("GPU"), "CUDA is not hidden"
loaded = tf.saved_model.load(sys.argv[1])
x = np.load(sys.argv[2])
y = loaded.signatures["serving_default"](x=tf.constant(x))["y"]
print(json.dumps(np.asarray(y).tolist()))
"""


def cudnn_ops(path):
    """Names of the ops containing "Cudnn" in a SavedModel (graph defs and
    function libraries)."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    found = set()
    for meta in proto.meta_graphs:
        nodes = list(meta.graph_def.node)
        for function in meta.graph_def.library.function:
            nodes.extend(function.node_def)
        found.update(node.op for node in nodes if "Cudnn" in node.op)
    return sorted(found)


def export_check(size):
    """Trains `Recurrent(LSTMCell)` a step here, exports it, and has a process
    without CUDA load and answer it. Returns a one-line verdict."""
    import keras
    import tensorflow as tf

    from models import Recurrent, cells

    keras.config.set_dtype_policy("float32")
    batch, steps, features, units = size
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, steps, features), dtype="float32")
    model = keras.Sequential([keras.Input((steps, features)), Recurrent(cells.LSTMCell(units)),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(x, np.zeros((batch, 1), "float32"))
    used_cudnn = model.layers[0].uses_cudnn(training=True)
    expected = np.asarray(model(x))
    module = tf.Module()
    module.model = model
    module.serve = tf.function(lambda x: {"y": model(x)},
                               input_signature=[tf.TensorSpec([None, steps, features])])
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "export")
        tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
        found = cudnn_ops(path)
        np.save(os.path.join(work, "x.npy"), x)
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
        answer = subprocess.run(
            [sys.executable, "-c", _ANSWER, path, os.path.join(work, "x.npy")],
            env=env, capture_output=True, text=True, check=False,
        )
    if answer.returncode != 0:
        return f"FAILED: the process without CUDA could not answer:\n{answer.stderr[-2000:]}"
    got = np.asarray(json.loads(answer.stdout.strip().splitlines()[-1]), "float32")
    error = float(np.max(np.abs(got - expected)))
    verdict = "ok" if not found and error < 1e-4 else "FAILED"
    return (
        f"{verdict}: trained with cuDNN: {used_cudnn}; Cudnn ops in the export: "
        f"{found or 'none'}; answered with CUDA hidden, max |difference| {error:.2e}"
    )


# ------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.gpu",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help="comma-separated BxTxDxU: batch, time steps, inputs, units")
    parser.add_argument("--precisions", default="float32,mixed_float16",
                        help="comma-separated: float32 and/or mixed_float16")
    parser.add_argument("--cells", default=",".join(CELL_NAMES),
                        help="comma-separated rnnlab cells to time")
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds (median)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--allow-cpu", action="store_true",
                        help="run without a GPU (to check the script; the numbers mean nothing)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError as error:
        parser.error(f"--sizes: {error}")
    args.precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    if not args.precisions or set(args.precisions) - {"float32", "mixed_float16"}:
        parser.error("--precisions takes float32 and/or mixed_float16")
    args.cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    unknown = sorted(set(args.cells) - set(CELL_NAMES))
    if unknown or not args.cells:
        parser.error(f"--cells: choose from {', '.join(CELL_NAMES)}")
    for flag in ("rounds", "steps", "warmup"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    import keras
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if not gpus and not args.allow_cpu:
        print("error: TensorFlow sees no GPU; bench.gpu measures cuDNN and needs one "
              "(--allow-cpu runs it anyway, to check the script)", file=sys.stderr)
        return 2
    torch = import_torch()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, GPUs: "
          f"{[g.name for g in gpus] or 'none'}; PyTorch: "
          f"{'not installed' if torch is None else torch.__version__}"
          f"{'' if torch is None else ', CUDA ' + str(torch.cuda.is_available())}")
    start = time.perf_counter()
    for size in args.sizes:
        for precision in args.precisions:
            keras.utils.set_random_seed(0)
            variants = build_variants(args, size, precision, torch)
            warm_up(variants, args.warmup)
            measure(variants, args.rounds, args.steps)
            batch, steps, features, units = size
            report(f"batch {batch}, {steps} steps, {features} inputs, {units} units, "
                   f"{precision}: ms per training step (median of {args.rounds} rounds)",
                   variants)
    keras.config.set_dtype_policy("float32")
    print(f"\nExport made here, answered with CUDA hidden: {export_check(args.sizes[0])}")
    print(f"\nTotal wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    from pipeline.errors import run_cli

    sys.exit(run_cli(main))
