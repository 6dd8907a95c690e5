"""`python -m pipeline.predict --task g2p WORD ...`: answers of a trained run.

Words come from the command line, or one a line from standard input when
none is given. Prints `word<TAB>phonemes<TAB>score` lines.

    python -m pipeline.predict --task g2p hello world
    printf 'cat\\ndog\\n' | python -m pipeline.predict --task g2p
"""

import sys

from pipeline import stage
from pipeline.errors import UsageError, run_cli


def main(argv=None):
    parser = stage.parser("predict", __doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="words to convert (default: stdin)")
    args = parser.parse_args(argv)
    config = stage.resolve(args)
    words = args.words or [line.strip() for line in sys.stdin if line.strip()]
    if not words:
        raise UsageError("no words: give them as arguments or one a line on stdin")
    if args.task != "g2p":
        raise UsageError(f"--task {args.task}: predict is not implemented for it yet")
    for word, phonemes, score in stage.task_module(args.task).predict_words(
            config, args.run_dir, words):
        print(f"{word}\t{phonemes}\t{score:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
