"""WER and PER of a G2P SavedModel, served as a client would serve it.

Loads the export in a subprocess that cannot import this project (as in
the export tests: only TensorFlow and the SavedModel), asks its
`serving_default` signature for every word of a split, and scores the
answers here with docs/architecture.md section 3's scoring
(`pipeline.tasks.g2p.scoring`).
The figures should equal `pipeline.evaluate`'s for the flags the export
was made with: a check that what ships is what was measured.

    python -m bench.g2p_export_wer saved/g2p/1                 # full preset's test split
    python -m bench.g2p_export_wer saved/g2p/2 --preset quick --split validation
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from bench.serving import export_metadata

SERVE_BLOCKED = """
import json, sys
sys.modules["models"] = None      # the project cannot be imported
sys.modules["pipeline"] = None
import tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
words = json.load(open(sys.argv[2], encoding="utf-8"))
answers = []
for start in range(0, len(words), 256):
    out = serve(words=tf.constant(words[start:start + 256]))
    answers += [p.decode() for p in out["phonemes"].numpy()]
json.dump(answers, open(sys.argv[3], "w", encoding="utf-8"))
"""


def serve_blocked(export, words):
    """The export's answers for `words`, from a process without the project."""
    with tempfile.TemporaryDirectory() as scratch:
        asked, answered = os.path.join(scratch, "words.json"), os.path.join(scratch, "out.json")
        with open(asked, "w", encoding="utf-8") as handle:
            json.dump(words, handle)
        subprocess.run([sys.executable, "-c", SERVE_BLOCKED, export, asked, answered],
                       check=True, env={**os.environ, "PYTHONPATH": ""}, cwd=scratch)
        with open(answered, encoding="utf-8") as handle:
            return json.load(handle)


def main(argv=None):
    from pipeline.core import cli

    parser = argparse.ArgumentParser(prog="python -m bench.g2p_export_wer",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("export", help="a SavedModel directory, e.g. saved/g2p/1")
    parser.add_argument("--split", default="test", choices=("train", "validation", "test"))
    parser.add_argument("--preset", default="full", choices=("smoke", "quick", "full"),
                        help="the preset whose split sizes to use (quick scores 2000 words)")
    parser.add_argument("--data", help="the data file the export was trained on (default: "
                                       "CMUdict)")
    args = parser.parse_args(argv)
    from pipeline.core.config import resolve
    from pipeline.tasks.g2p import data as g2p_data
    from pipeline.tasks.g2p import scoring

    metadata = export_metadata(parser, args.export, "g2p")
    stress = metadata.get("stress", "keep")
    config = resolve("g2p", args.preset, sets=[f"g2p.stress={stress}"])
    entries = g2p_data.load_splits(config, data=args.data)[args.split]
    words = sorted(entries)
    start = time.perf_counter()
    answers = serve_blocked(args.export, words)
    seconds = time.perf_counter() - start
    metrics = scoring.score_all(dict(zip(words, answers, strict=True)), entries)
    report = {"split": args.split, "words": len(words), "seconds": round(seconds, 1),
              **{k: metrics[k] for k in ("wer", "per", "wer_no_stress", "per_no_stress")}}
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
