"""Serving speed of G2P exports: batch-1 latency, batch-256 throughput, size.

Loads each export in one subprocess that cannot import this project (as TF
Serving or a client would hold it; `bench.serving`), calls its
`serving_default` signature in-process, and prints, for each export and for
a trivial string-in, string-out signature (`tf.strings.lower`, the floor of
a TensorFlow call on this machine, measured in the same run):

- batch-1 latency: one word a call, over `--latency-words` words of the
  split, p50 and p99 in milliseconds, and p50 over the trivial call's;
- batch-256 throughput: every word of the split in calls of 256, in
  words per second;
- the export's size on disk in MB.

    python -m bench.g2p_serving saved/g2p/3                 # one export
    python -m bench.g2p_serving saved/g2p/3 saved/g2p/1     # the student and the nine-model export

Every export warms up (a few calls of each size) before it is timed; the
machine's other load changes the absolute figures, the ratio to the
trivial call less so.
"""

import argparse
import os

from bench.serving import measure, size_mb, table


def main(argv=None):
    from pipeline.core import cli

    parser = argparse.ArgumentParser(prog="python -m bench.g2p_serving",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("exports", nargs="+", help="G2P SavedModel directories, e.g. "
                                                   "saved/g2p/3")
    parser.add_argument("--split", default="test", choices=("validation", "test"),
                        help="the words sent (all of them for throughput)")
    parser.add_argument("--latency-words", type=int, default=500,
                        help="words timed one at a time (default: 500)")
    parser.add_argument("--data", help="a TSV lexicon instead of CMUdict")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    for path in args.exports:
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            parser.error(f"{path}: not a SavedModel (no saved_model.pb); give a directory "
                         "like saved/g2p/1")
    if args.latency_words < 1:
        parser.error("--latency-words: give 1 or more")
    from pipeline.core import atomic
    from pipeline.core.config import resolve
    from pipeline.tasks.g2p import data as g2p_data

    config = resolve("g2p", "full")
    words = sorted(g2p_data.load_splits(config, data=args.data)[args.split])
    results = measure(args.exports, words, args.latency_words, "words")
    names = ["trivial signature (`tf.strings.lower`)", *args.exports]
    sizes = ["-", *(f"{size_mb(p):.1f}" for p in args.exports)]
    print(f"{len(words)} {args.split} words; batch 1 over the first {args.latency_words}")
    print(table(names, sizes, results))
    report = [{"export": n, "size_mb": s, "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
               "words_per_second": r["per_second"]}
              for n, s, r in zip(names, sizes, results, strict=True)]
    if args.json:
        atomic.write_json(args.json, report)
    return report


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
