"""Accuracy, macro-F1, speed and size of classify exports, served as a
client holds them.

Loads each export in one subprocess that cannot import this project
(`bench.serving`), asks its `serving_default` signature for the label of
every text of a split (in calls of 256, the throughput), times one text a
call (batch-1 latency, p50 and p99) beside a trivial string-in, string-out
signature, and scores the labels here with the classify task's scoring
(`pipeline.tasks.classify.scoring.scores`). Accuracy and macro-F1 should
equal `combined_*` of evaluate for an export of the combination (the
network's `accuracy` for one of the network alone): a check that what
ships is what was measured.

    python -m bench.classify_export saved/classify/1
    python -m bench.classify_export saved/classify/2 saved/classify/1 --data my.tsv
"""

import argparse

from bench.serving import export_metadata, measure, size_mb, table


def main(argv=None):
    from pipeline.core import cli

    parser = argparse.ArgumentParser(prog="python -m bench.classify_export",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("exports", nargs="+", help="classify SavedModel directories, e.g. "
                                                   "saved/classify/1")
    parser.add_argument("--split", default="test", choices=("validation", "test"),
                        help="the texts sent and scored")
    parser.add_argument("--latency-texts", type=int, default=500,
                        help="texts timed one at a time (default: 500)")
    parser.add_argument("--preset", default="full", choices=("smoke", "quick", "full"),
                        help="the preset whose split sizes to use (smoke caps them)")
    parser.add_argument("--data", help="the data the exports were trained on (default: the "
                                       "embedded words of ten languages)")
    parser.add_argument("--data-dir", help="TFDS data directory, with --data tfds:NAME")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    labels = None
    for path in args.exports:
        meta = export_metadata(parser, path, "classify")
        if labels not in (None, meta["labels"]):
            parser.error(f"{path}: other labels than {args.exports[0]}'s; give exports of "
                         "one data")
        labels = meta["labels"]
    if args.latency_texts < 1:
        parser.error("--latency-texts: give 1 or more")
    from pipeline.core import atomic
    from pipeline.core.config import resolve
    from pipeline.tasks.classify import data as classify_data
    from pipeline.tasks.classify.scoring import scores

    examples = classify_data.load_splits(resolve("classify", args.preset), args.data,
                                         args.data_dir)[args.split]
    texts, true = [t for t, _ in examples], [y for _, y in examples]
    results = measure(args.exports, texts, args.latency_texts, "text", answer="label")
    names = ["trivial signature (`tf.strings.lower`)", *args.exports]
    sizes = ["-", *(f"{size_mb(p):.1f}" for p in args.exports)]
    scored = [None, *(scores(true, r["answers"], labels) for r in results[1:])]
    cells = ["-", *(f"{s['accuracy']:.4f} / {s['macro_f1']:.4f}" for s in scored[1:])]
    print(f"{len(texts)} {args.split} texts; batch 1 over the first {args.latency_texts}")
    print(table(names, sizes, results, unit="texts", extra=("accuracy / macro-F1", cells)))
    report = [{"export": n, "size_mb": s, "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
               "texts_per_second": r["per_second"],
               **({"accuracy": sc["accuracy"], "macro_f1": sc["macro_f1"]} if sc else {})}
              for n, s, r, sc in zip(names, sizes, results, scored, strict=True)]
    if args.json:
        atomic.write_json(args.json, report)
    return report


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
