"""`python -m pipeline.predict --task T INPUT ...`: answers of a trained run.

Inputs come from the command line, or one a line from standard input when
none is given; each task prints one tab-separated line an input (g2p:
`word<TAB>phonemes<TAB>score`).

    python -m pipeline.predict --task g2p hello world
    printf 'cat\\ndog\\n' | python -m pipeline.predict --task g2p
"""

import sys

from pipeline import stage
from pipeline.errors import UsageError, run_cli


def main(argv=None):
    parser = stage.parser("predict", __doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="inputs, e.g. words for g2p (default: one a line on stdin)")
    args = parser.parse_args(argv)
    config = stage.resolve(args)
    inputs = args.inputs or [line.strip() for line in sys.stdin if line.strip()]
    if not inputs:
        raise UsageError("no inputs: give them as arguments or one a line on stdin")
    stage.check_utf8(inputs, "input")
    for line in stage.task_module(args.task).predict_lines(config, args.run_dir, inputs):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
