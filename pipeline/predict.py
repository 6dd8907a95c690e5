"""`python -m pipeline.predict --task T INPUT ...`: answers of a trained run.

Inputs come from the command line, or one a line from standard input when
none is given (stripped of surrounding white space); each task prints one
tab-separated line an input:

  g2p        a word              -> word<TAB>phonemes<TAB>score
  lm         a prompt            -> prompt<TAB>continuation (tabs and
                                    newlines escaped as \\t and \\n)
  classify   a text              -> text<TAB>label<TAB>probability
  forecast   a history: at least -> the H forecast values, tab-separated
             `window` numbers,
             comma or space
             separated
  synthetic  adding: value:marker pairs (0.3:0 0.7:1); copy: symbols 0-9,
             space separated; parity: a bit string -> input<TAB>answer

Give the `--set` flags the run was made with (e.g. `synthetic.problem`);
a run of another task, or one prepared another way, is refused.

    python -m pipeline.predict --task g2p hello world
    printf 'cat\\ndog\\n' | python -m pipeline.predict --task g2p
    python -m pipeline.predict --task forecast "10 20 30 40 50 60 70 80 90 100 110 120"
"""

import sys

from pipeline.core import cli, rundir
from pipeline.core.errors import UsageError


def main(argv=None):
    parser = cli.parser("predict", __doc__.split("\n\n")[0],
                        epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="inputs, e.g. words for g2p (default: one a line on stdin)")
    args = parser.parse_args(argv)
    config = cli.resolve(args)
    task = cli.task_of(args)
    rundir.check_run(task, config, args.run_dir)  # a run of this task, made so
    inputs = args.inputs or [line.strip() for line in sys.stdin if line.strip()]
    if not inputs:
        raise UsageError("no inputs: give them as arguments or one a line on stdin")
    cli.check_utf8(inputs, "input")
    for line in task.predict_lines(config, args.run_dir, inputs):
        print(line)
    return 0


if __name__ == "__main__":
    cli.run_command(main)
