"""Rolling-origin backtest of the forecaster against its ARIMA baseline.

The held-out splits of a short series are small: sunspots keeps 15 years
for validation and 15 for test, 11 five-year windows each, too few to
choose a model by. This backtest scores a configuration on `--blocks`
blocks of the same length instead, walking back from the validation split
(Tashman 2000, "Out-of-sample tests of forecasting accuracy", International
Journal of Forecasting 16(4)). The test split is never read.

For the block `[c, c + L)` (L = the validation split's length; the first
block is the validation split itself) the fold is a run of the forecast
task on the series cut at `c + L`, with the splits moved back:

    train [0, c - L)    validation [c - L, c)    test [c, c + L)

so the network trains, early-stops and is scored exactly as
`pipeline.train` and `pipeline.evaluate` do it (`pipeline/tasks/forecast/`),
the normaliser and the ARIMA baseline are fitted on the fold's training
segment, and both forecast the same windows of the block. Each fold also
scores two references fitted by least squares on the fold's training
windows, with the baseline's AR order p of lags:

- `direct linear`: one linear regression per step ahead on the last p
  values (the direct counterpart of the iterated AR(p)).
- `+ kernel ridge`: that, plus an RBF kernel ridge regression of its
  residuals on the same lags (standardised), a nonlinear model fitted in
  closed form: a check of how much a nonlinear map of the window can add.
- `SETAR`: a two-regime threshold autoregression on the same lags, the
  delay and threshold by least squares, iterated (`models.classical.setar`, Tong and
  Lim 1980): the classical nonlinear model of the sunspot cycle.

The summary pools the squared errors of all blocks: RMSE ratio to the
baseline = sqrt(SSE_model / SSE_baseline).

    python -m bench.forecast_backtest                      # full preset, 5 blocks
    python -m bench.forecast_backtest --preset quick --set model.cell=elman
    python -m bench.forecast_backtest --set forecast.series=co2 --blocks 3
"""

import argparse
import json
import os
import sys
import tempfile
import warnings

#: the columns of the table, each a ratio to the baseline's RMSE
COLUMNS = ("network", "direct linear", "+ kernel ridge", "SETAR")


def fold_prepared(prepared, series, block_start, length):
    """The prepared data of the fold whose test block starts at
    `block_start`: the series cut after the block, the splits moved back,
    the normaliser refitted on the fold's training segment."""
    from pipeline.tasks.forecast import inputs

    train_stop = block_start - length
    mean, std = inputs.fit_normalizer(series[:train_stop])
    bounds = {"train": [0, train_stop], "validation": [train_stop, block_start],
              "test": [block_start, block_start + length]}
    return {**prepared, "normalizer": {"mean": mean, "std": std}, "bounds": bounds}


def write_fold(run_dir, series, prepared):
    """What the prepare stage would write for the fold."""
    import numpy as np

    from pipeline.core import atomic

    data_dir = os.path.join(run_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    np.save(os.path.join(data_dir, "series.npy"), series)
    atomic.write_json(os.path.join(data_dir, "prepared.json"), prepared)


def references(series, prepared, window, horizon, lags, gamma, ridge):
    """`{name: [N, H] forecasts}` of the fold's test windows by the three
    least-squares references (module docstring)."""
    import numpy as np

    from models.classical.setar import SETAR
    from models.forecaster import direct_least_squares, lag_design
    from pipeline.tasks.forecast.data import split_windows

    histories, targets, _ = split_windows(series, prepared, "train", window, horizon)
    test_histories = split_windows(series, prepared, "test", window, horizon)[0]
    coefficients = direct_least_squares(histories, targets, lags)  # [1 + p, H]
    linear = lag_design(histories, lags) @ coefficients  # [N, H]
    linear_test = lag_design(test_histories, lags) @ coefficients  # [N_test, H]
    # Kernel ridge on the residuals: alpha = (K + ridge I)^-1 r, f(x) = k(x)^T alpha.
    mean, std = histories.mean(), histories.std()
    z, z_test = (histories[:, -lags:] - mean) / std, (test_histories[:, -lags:] - mean) / std

    def kernel(a, b):
        return np.exp(-gamma * np.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1))

    alpha = np.linalg.solve(kernel(z, z) + ridge * np.eye(len(z)), targets - linear)
    one_step, following, _ = split_windows(series, prepared, "train", window, 1)
    setar = SETAR(lags).fit(one_step, following[:, 0])
    return {"direct linear": linear_test,
            "+ kernel ridge": linear_test + kernel(z_test, z) @ alpha,
            "SETAR": setar.forecast(test_histories, horizon)}


def run_fold(config, series, prepared, block_start, length, fold_dir, args):
    """`({name: SSE}, values scored)` of the network, the baseline and the
    references on one block; trains the network in `fold_dir`."""
    import numpy as np

    from pipeline.core import registry
    from pipeline.tasks.forecast.data import split_windows
    from pipeline.tasks.forecast.settings import settings

    task = registry.get("forecast")
    prepared = fold_prepared(prepared, series, block_start, length)
    cut = series[:block_start + length]
    write_fold(fold_dir, cut, prepared)
    task.train(config, fold_dir)
    metrics = task.evaluate(config, fold_dir)
    s = settings(config, prepared)
    n = metrics["windows"] * metrics["horizon"]
    out = {"network": metrics["rmse"] ** 2 * n, "baseline": metrics["baseline_rmse"] ** 2 * n}
    _, targets, _ = split_windows(cut, prepared, "test", s["window"], s["horizon"])
    for name, predicted in references(cut, prepared, s["window"], s["horizon"],
                                      s["order"][0] or s["linear_window"] or s["window"],
                                      args.gamma, args.ridge).items():
        out[name] = float(np.sum((predicted - targets) ** 2))
    return out, n


def main(argv=None):
    from pipeline.core import cli

    parser = argparse.ArgumentParser(prog="python -m bench.forecast_backtest",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("--preset", default="full", help="configuration preset")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="configuration override, as in the stage scripts")
    parser.add_argument("--data", default=None, help="a CSV series instead of the default")
    parser.add_argument("--blocks", type=int, default=5,
                        help="blocks scored, walking back from the validation split")
    parser.add_argument("--gamma", type=float, default=0.05,
                        help="RBF width of the kernel-ridge reference (standardised lags)")
    parser.add_argument("--ridge", type=float, default=10.0,
                        help="ridge penalty of the kernel-ridge reference")
    parser.add_argument("--work-dir", default=None,
                        help="where the folds' runs go; None: a temporary directory")
    args = parser.parse_args(argv)
    if args.blocks < 1:
        parser.error(f"--blocks {args.blocks}: must be at least 1")
    if args.work_dir and os.path.isdir(args.work_dir) and os.listdir(args.work_dir):
        # a fold's run directory would resume the training found there
        parser.error(f"--work-dir {args.work_dir}: not empty; give a new directory")
    import keras
    import numpy as np

    from pipeline.core import config as config_lib
    from pipeline.core import registry
    from pipeline.core.errors import UsageError

    keras.utils.disable_interactive_logging()  # no progress bar per epoch and fold
    warnings.filterwarnings("ignore", message="`shuffle=True` was passed")  # tf.data shuffles
    try:
        config = config_lib.resolve("forecast", args.preset, sets=args.set)
        task_data = registry.get("forecast").load_data(config, args.data)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    series = task_data.series
    start, stop = task_data.splits["validation"]
    length = stop - start
    blocks = [start - k * length for k in range(args.blocks)]
    if blocks[-1] - length < 2 * length:
        parser.error(f"--blocks {args.blocks}: the series leaves too little training data "
                     f"for blocks of {length}")
    prepared = {"source": task_data.source}
    totals, count = {}, 0
    print(f"{'block':<12}" + "".join(f"{name:>16}" for name in COLUMNS),
          "   (RMSE ratio to the baseline)", flush=True)
    with tempfile.TemporaryDirectory(prefix="forecast-backtest-") as scratch:
        for k, block_start in enumerate(blocks):
            fold_dir = os.path.join(args.work_dir or scratch, f"block_{k}")
            sse, n = run_fold(config, series, prepared, block_start, length, fold_dir, args)
            for name, value in sse.items():
                totals[name] = totals.get(name, 0.0) + value
            count += n
            print(f"[{block_start}, {block_start + length})".ljust(12)
                  + "".join(f"{np.sqrt(sse[name] / sse['baseline']):>16.3f}"
                            for name in COLUMNS), flush=True)
    pooled = {name: float(np.sqrt(totals[name] / totals["baseline"])) for name in totals}
    print("pooled".ljust(12) + "".join(f"{pooled[name]:>16.3f}" for name in COLUMNS))
    print(json.dumps({"preset": args.preset, "sets": args.set, "blocks": blocks,
                      "block_length": length, "baseline_rmse": float(np.sqrt(
                          totals["baseline"] / count)), "rmse_ratio": pooled}))
    return 0


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
