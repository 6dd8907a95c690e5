"""`python -m pipeline.evaluate --task T`: score a trained run on the test split.

Writes `<run-dir>/metrics.json` and plots to `<run-dir>/plots/`, and prints
the metrics.
"""

import sys

from pipeline import stage
from pipeline.errors import run_cli


def show(metrics):
    for key, value in metrics.items():
        if isinstance(value, float):
            print(f"{key:>16}: {value:.4f}")
        elif isinstance(value, int):
            print(f"{key:>16}: {value}")


def main(argv=None):
    args = stage.parser("evaluate", __doc__.split("\n\n")[0]).parse_args(argv)
    config = stage.resolve(args)
    show(stage.task_module(args.task).evaluate(config, args.run_dir, data=args.data,
                                               data_dir=args.data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
