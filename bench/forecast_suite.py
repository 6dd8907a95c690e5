"""Rolling-origin benchmark of the forecast task over a suite of series,
against the statistical forecasters in the same run; writes
`reports/forecast.md` (series by method).

Each series of `SUITE` (`pipeline.tasks.forecast.config.SERIES` gives its
frequency, horizon, season and transform) is a run of the forecast task in
`<work-dir>/<series>/`: prepare, train (the network on the training
segment, early-stopped on the validation origins), then evaluate on the
validation block and on the test block, 30 origins each, one step apart
(`pipeline.tasks.forecast.evaluation`: every peer refitted at every
origin; the network fitted on the training segment for the validation
block, and refitted once on the training and validation segments for the
test block, `pipeline.tasks.forecast.refit`).

rnnlab's final forecaster on a series is chosen on the validation origins
only, by this rule, fixed before any test origin was scored: of the
equal-weight means of the network and its k validation-best peers, k = 0
(the network alone) to `MAX_PEERS` (forecast combination: Bates and
Granger, "The combination of forecasts", Operational Research Quarterly
20(4), 1969; Makridakis, Spiliotis and Assimakopoulos, "The M4
Competition: 100,000 time series and 61 forecasting methods", IJF 36(1),
2020), the one with the lowest pooled validation MASE; ties go to the
smaller k. The test origins are then scored once. The summary is the
geometric mean over the series of the final forecaster's test MASE over
the best peer's test MASE on that series, and the interval coverage pooled
over every test forecast value.

    python -m bench.forecast_suite                         # quick preset, every series
    python -m bench.forecast_suite --series sunspots,nile --work-dir runs/suite-try
"""

import argparse
import json
import os
import sys
import time
import warnings

#: The series, cheapest first.
SUITE = ("nile", "gdp", "cpi", "unemployment", "inflation", "interest_rate", "sunspots",
         "elnino", "co2")

#: What the report says of each series: frequency and transform.
DESCRIPTION = {
    "nile": ("yearly", "none"), "gdp": ("quarterly", "log"), "cpi": ("quarterly", "log"),
    "unemployment": ("quarterly", "none"), "inflation": ("quarterly", "none"),
    "interest_rate": ("quarterly", "none"), "sunspots": ("yearly", "none"),
    "elnino": ("monthly", "none"), "co2": ("weekly", "none (59 weeks interpolated)"),
}


def pooled_mase(forecasts, targets, scales):
    import numpy as np

    e = np.abs(np.asarray(forecasts) - np.asarray(targets)) / np.asarray(scales)[:, None]
    return float(np.mean(e))


#: The most peers the final forecaster averages with the network.
MAX_PEERS = 3


def select(validation, network=True):
    """The rule of the module docstring on the validation block's
    `forecasts.json`: the names of the peers (validation-best first) that
    the final forecaster averages with the network, none for the network
    alone. With `network` False, the same rule on the peers alone (k = 1
    to `MAX_PEERS`): the statistical forecaster a user without rnnlab
    would choose from the same origins."""
    y, s = validation["targets"], validation["scales"]
    ranked = ranked_peers(validation)
    base = ["network"] if network else []
    sizes = range(0 if network else 1, min(MAX_PEERS, len(ranked)) + 1)
    candidates = [ranked[:k] for k in sizes]
    errors = [pooled_mase(mean_forecasts(base + c, validation), y, s) for c in candidates]
    return candidates[errors.index(min(errors))]  # the first, smallest k, of a tie


def ranked_peers(validation):
    """The peers' names by pooled validation MASE, best first."""
    f, y, s = validation["forecasts"], validation["targets"], validation["scales"]
    peers = {name: pooled_mase(v, y, s) for name, v in f.items() if name != "network"}
    return sorted(peers, key=peers.get)


def mean_forecasts(names, block):
    """`[N, H]` mean of the forecasts of the methods `names` in `block`."""
    import numpy as np

    return np.mean([block["forecasts"][name] for name in names], axis=0)


def final_forecasts(peers, block):
    """`[N, H]` mean of the network's and `peers`' forecasts in `block`."""
    return mean_forecasts(["network", *peers], block)


def describe(peers):
    """The final forecaster, for the report."""
    return "network" + "".join(f" + {name}" for name in peers)


def run_series(name, args):
    """One row of the table: every method's test MASE, the choice, the
    coverage and the wall time."""
    import numpy as np

    from pipeline.core import config as config_lib
    from pipeline.core import registry, rundir
    from pipeline.tasks.forecast import intervals

    task = registry.get("forecast")
    config = config_lib.resolve("forecast", args.preset, sets=args.set + [
        f"forecast.series={name}"])
    run_dir = os.path.join(args.work_dir, name)
    start = time.perf_counter()
    rundir.ensure_prepared(task, config, run_dir)
    task.train(config, run_dir)
    blocks = {}
    for split in ("validation", "test"):
        metrics = task.evaluate(config, run_dir, split=split)
        with open(os.path.join(run_dir, "validation" if split == "validation" else "",
                               "forecasts.json"), encoding="utf-8") as handle:
            blocks[split] = json.load(handle)
    chosen = select(blocks["validation"])  # before the test block is read
    statistical = select(blocks["validation"], network=False)
    test = blocks["test"]

    def score(forecasts):
        return pooled_mase(forecasts, test["targets"], test["scales"])

    mase = {method: score(values) for method, values in test["forecasts"].items()}
    best_peer = min((m for m in mase if m != "network"), key=mase.get)
    mase["combination"] = score(final_forecasts(ranked_peers(blocks["validation"])[:1], test))
    mase["statistical"] = score(mean_forecasts(statistical, test))
    final = score(final_forecasts(chosen, test))
    errors = np.abs(np.asarray(test["targets"]) - np.asarray(test["forecasts"]["network"]))
    inside = errors <= np.asarray(test["half_widths"])  # [N, H]
    # The plain split-conformal intervals for comparison: one half-width per
    # step from the validation residuals, neither scaled nor updated.
    level = metrics["interval_level"]
    plain = intervals.half_widths(np.subtract(blocks["validation"]["forecasts"]["network"],
                                              blocks["validation"]["targets"]), level)
    return {"series": name, "horizon": metrics["horizon"], "season": metrics["season"],
            "window": metrics["window"], "mase": mase, "choice": describe(chosen),
            "peers": chosen,
            "final": final, "best_peer": best_peer, "ratio": final / mase[best_peer],
            "statistical_choice": " + ".join(statistical),
            "ratio_statistical": final / mase["statistical"],
            "covered": int(inside.sum()), "covered_plain": int((errors <= plain).sum()),
            "values": int(inside.size), "level": level, "seconds": time.perf_counter() - start}


def report(rows, args, seconds):
    """The markdown of `reports/forecast.md`."""
    import numpy as np

    from models.classical.peers import LABELS

    methods = ["network", "combination"] + [m for m in LABELS.values() if m in rows[0]["mase"]]
    methods.append("statistical")
    lines = ["# Forecast suite: rolling-origin MASE on the test origins", "",
             f"`python -m bench.forecast_suite --preset {args.preset}"
             + "".join(f" --set {s}" for s in args.set) + "`"
             + f" ({seconds / 60:.1f} min wall on 2 CPU cores).", "",
             "30 test origins a series, one step apart, each forecast H steps ahead; MASE "
             "scaled by the in-sample seasonal naive error before each origin. Peers refitted "
             "at every origin (ARIMA once per block); the network fitted on the training "
             "segment for the validation origins and refitted once, on the training and "
             "validation segments, for the test origins. `combination` is the mean of the "
             "network and the validation-best peer; "
             f"`final` is rnnlab's forecaster, chosen on the validation origins (the mean of "
             f"the network and its 0 to {MAX_PEERS} validation-best peers); `ratio` is final "
             "over the best peer on the test origins, a peer chosen after seeing them. "
             "`statistical` is the same rule on the peers alone (the mean of the 1 to "
             f"{MAX_PEERS} validation-best peers), the forecaster a user without the network "
             "would choose from the same origins; `vs statistical` is final over it.", "",
             "| series | freq | H | season | " + " | ".join(methods)
             + " | final | ratio | vs statistical | coverage | plain coverage |",
             "|---" * (len(methods) + 9) + "|"]
    for r in rows:
        freq, _ = DESCRIPTION[r["series"]]
        cells = []
        for m in methods:
            text = f"{r['mase'][m]:.3f}"
            cells.append(f"**{text}**" if m == r["best_peer"] else text)
        lines.append(f"| {r['series']} | {freq} | {r['horizon']} | {r['season']} | "
                     + " | ".join(cells)
                     + f" | {r['choice']} {r['final']:.3f} | {r['ratio']:.3f} | "
                     f"{r['ratio_statistical']:.3f} | "
                     f"{r['covered'] / r['values']:.3f} | {r['covered_plain'] / r['values']:.3f} |")
    geo = float(np.exp(np.mean([np.log(r["ratio"]) for r in rows])))
    geo_statistical = float(np.exp(np.mean([np.log(r["ratio_statistical"]) for r in rows])))
    values = sum(r["values"] for r in rows)
    covered = sum(r["covered"] for r in rows) / values
    plain = sum(r["covered_plain"] for r in rows) / values
    transformed = [f"{r['series']} {DESCRIPTION[r['series']][1]}" for r in rows
                   if DESCRIPTION[r["series"]][1] != "none"]
    lines += ["", f"Geometric mean over {len(rows)} series of final / best peer MASE: "
              f"**{geo:.3f}**; of final / statistical: **{geo_statistical:.3f}**. Pooled "
              f"coverage of the {rows[0]['level']:.0%} conformal "
              f"intervals (scaled to each window, calibrated online): **{covered:.3f}** over "
              f"{values} test values; of plain split-conformal intervals from the validation "
              f"origins: {plain:.3f}.",
              "", "Bold: the best statistical peer of the row. Transforms: "
              + ("; ".join(transformed) or "none") + ". Wall time per series: "
              + ", ".join(f"{r['series']} {r['seconds']:.0f} s" for r in rows) + ".", ""]
    return "\n".join(lines), geo, covered


def main(argv=None):
    from pipeline.core import cli

    parser = argparse.ArgumentParser(prog="python -m bench.forecast_suite",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("--preset", default="quick", help="configuration preset")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="configuration override for every series")
    parser.add_argument("--series", default=",".join(SUITE),
                        help="comma-separated series of the suite")
    parser.add_argument("--work-dir", default="runs/forecast_suite",
                        help="where the series' runs go (a new directory)")
    parser.add_argument("--report", default="reports/forecast.md", help="the markdown table")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.series.split(",") if name.strip()]
    unknown = [name for name in names if name not in SUITE]
    if unknown or not names:
        parser.error(f"--series {args.series}: use names of {', '.join(SUITE)}")
    if os.path.isdir(args.work_dir) and os.listdir(args.work_dir):
        parser.error(f"--work-dir {args.work_dir}: not empty; give a new directory")
    import keras

    from pipeline.core import atomic
    from pipeline.core.errors import UsageError

    keras.utils.disable_interactive_logging()
    warnings.filterwarnings("ignore")
    rows, start = [], time.perf_counter()
    for name in names:
        try:
            rows.append(run_series(name, args))
        except UsageError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        r = rows[-1]
        print(f"{name:<14} final {r['choice']} MASE {r['final']:.3f}, best peer {r['best_peer']} "
              f"{r['mase'][r['best_peer']]:.3f}, ratio {r['ratio']:.3f}, vs statistical "
              f"{r['statistical_choice']} {r['ratio_statistical']:.3f} ({r['seconds']:.0f} s)",
              flush=True)
        text, geo, covered = report(rows, args, time.perf_counter() - start)
        os.makedirs(os.path.dirname(args.report) or ".", exist_ok=True)
        atomic.write_text(args.report, text)
    print(f"geometric mean ratio {geo:.3f}, pooled coverage {covered:.3f}; wrote {args.report}")
    return 0


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
