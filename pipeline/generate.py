"""`python -m pipeline.generate`: sample text or words from a trained LM run.

With `--language`, samples words of that language from the run's
conditional model (the one-hot language given as the initial state, as an
extra input at every step, or both; Xiaogang Wang, "Recurrent Neural
Network", CUHK 2019, slide 23). Otherwise continues each `--prompt` with
the character model. Sampling is seeded (stateless random ops): the same
flags give the same output. Train the run first, e.g. `python -m
pipeline.run --task lm --preset quick`. The logic is
`pipeline.tasks.lm.generate`.

    python -m pipeline.generate --language fr --count 10
    python -m pipeline.generate --language all --temperature 0.5
    python -m pipeline.generate --prompt "def " --prompt "The " --length 300
"""

import argparse
import os

from pipeline.core import cli
from pipeline.core.cli import flag_type
from pipeline.core.errors import UsageError
from pipeline.core.schema import at_least

#: Flags that apply only to word sampling (`--language`) or only to text.
WORD_FLAGS, TEXT_FLAGS = ("count",), ("prompt", "length")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.generate", description=__doc__.split("\n\n")[1],
        epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"),
                        help="preset of the run (default quick; picks runs/lm/<preset>)")
    parser.add_argument("--run-dir", help="the trained LM run (default runs/lm/<preset>)")
    parser.add_argument("--config", help="JSON file of configuration overrides")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one configuration value, e.g. --set sample.top_k=5")
    parser.add_argument("--language", help="sample words of this language of the run's "
                        "conditional model (embedded data: en, fr, de, es, it, pt, nl, sv, pl, "
                        "tr), or 'all'")
    parser.add_argument("--count", type=flag_type(at_least(0)), help="words per language, "
                        "with --language (default conditional.samples)")
    parser.add_argument("--prompt", action="append", default=[],
                        help="text to continue (repeatable; default: one empty prompt)")
    parser.add_argument("--length", type=flag_type(at_least(0)), help="characters per "
                        "continuation (default sample.length)")
    parser.add_argument("--temperature", type=flag_type(at_least(0), float),
                        help="sampling temperature; 0 is greedy (default sample.temperature, "
                        "or conditional.temperature for words)")
    parser.add_argument("--seed", type=int, help="sampling seed (default sample.seed, or "
                        "conditional.seed for words)")
    cli.add_verbose(parser)
    args = parser.parse_args(argv)
    args.run_dir = args.run_dir or os.path.join("runs", "lm", args.preset)
    unused = TEXT_FLAGS if args.language else WORD_FLAGS
    for flag in unused:
        if getattr(args, flag) not in (None, []):
            raise UsageError(f"--{flag}: applies only {'without' if args.language else 'with'} "
                             "--language")
    return args


def main(argv=None):
    args = parse_args(argv)
    from pipeline.tasks.lm import generate

    for line in generate.sampled_lines(
            args.run_dir, args.preset, args.config, args.set, language=args.language,
            count=args.count, prompts=args.prompt, length=args.length,
            temperature=args.temperature, seed=args.seed):
        print(line)
    return 0


if __name__ == "__main__":
    cli.run_command(main)
