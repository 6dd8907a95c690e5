"""`make run` until the G2P task lands: cells against the adding problem.

Trains a tanh Elman RNN and an LSTM, both through `models.Recurrent`, on the
adding problem (Le et al. 2015 form, see `pipeline.datasets.synthetic`) and prints
their test mean squared error next to the memoryless baseline measured on
the same test set. An LSTM that has learnt the task goes well below the
baseline; the vanishing gradients of the tanh RNN (seed 003 slides 32-35)
keep it near the baseline as the sequences get longer.

    python -m pipeline.demo --length 50 --epochs 8
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CELLS = {
    "elman": ("ElmanCell", {}),
    "lstm": ("LSTMCell", {}),
    "gru": ("GRUCell", {}),
    "minimal_gru": ("MinimalGRUCell", {}),
    "peephole_lstm": ("PeepholeLSTMCell", {}),
    "cifg_lstm": ("CIFGLSTMCell", {}),
    "clockwork": ("ClockworkCell", {}),
    "jordan": ("JordanCell", {}),
    "irnn": ("ElmanCell", {"activation": "relu", "recurrent_initializer": "identity"}),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.demo",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--cells", default="elman,lstm",
                        help=f"comma-separated cells to train, from: {', '.join(CELLS)}")
    parser.add_argument("--length", type=int, default=50, help="sequence length T")
    parser.add_argument("--units", type=int, default=64, help="hidden units")
    parser.add_argument("--train-size", type=int, default=10000, help="training sequences")
    parser.add_argument("--test-size", type=int, default=2000, help="test sequences")
    parser.add_argument("--epochs", type=int, default=8, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=50, help="batch size")
    parser.add_argument("--learning-rate", type=float, default=3e-3, help="Adam learning rate")
    parser.add_argument("--clipnorm", type=float, default=1.0,
                        help="clip gradients by norm (seed 003 slide 54)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    names = [n for n in args.cells.split(",") if n]
    unknown = [n for n in names if n not in CELLS]
    if unknown or not names:
        parser.error(f"--cells: unknown cell {', '.join(unknown) or '(none)'}; "
                     f"choose from {', '.join(CELLS)}")
    if args.length < 2:
        parser.error(f"--length: must be at least 2, got {args.length}")
    args.cells = names
    return args


def build_model(name, units, learning_rate, clipnorm):
    import keras

    from models import Recurrent, cells

    cls_name, kwargs = CELLS[name]
    cell = getattr(cells, cls_name)(units, **kwargs)
    model = keras.Sequential(
        [keras.Input((None, 2)), Recurrent(cell), keras.layers.Dense(1)], name=name
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm), loss="mse")
    return model


def main(argv=None):
    args = parse_args(argv)
    import keras
    import numpy as np

    from pipeline.datasets.synthetic import adding_problem

    keras.utils.set_random_seed(args.seed)
    x_train, y_train = adding_problem(args.train_size, args.length, seed=args.seed)
    x_test, y_test = adding_problem(args.test_size, args.length, seed=args.seed + 1)
    baseline = float(np.mean((y_test - y_train.mean()) ** 2))
    print(f"Adding problem, T={args.length}: {args.train_size} training and "
          f"{args.test_size} test sequences.")
    rows = []
    for name in args.cells:
        print(f"\n== {name}")
        model = build_model(name, args.units, args.learning_rate, args.clipnorm)
        start = time.perf_counter()
        model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                  validation_split=0.1, verbose=2 if not sys.stdout.isatty() else 1)
        seconds = time.perf_counter() - start
        mse = float(model.evaluate(x_test, y_test, batch_size=500, verbose=0))
        rows.append((name, mse, seconds))

    print(f"\nTest MSE on the adding problem, T={args.length} "
          f"(memoryless baseline: predict the training mean)")
    print(f"{'model':<16}{'test MSE':>10}{'/ baseline':>12}{'train s':>10}")
    print(f"{'baseline':<16}{baseline:>10.4f}{1.0:>12.3f}{'':>10}")
    for name, mse, seconds in rows:
        print(f"{name:<16}{mse:>10.4f}{mse / baseline:>12.3f}{seconds:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
