"""Serving speed of G2P exports: batch-1 latency, batch-256 throughput, size.

Loads each export in one subprocess that cannot import this project (as TF
Serving or a client would hold it), calls its `serving_default` signature
in-process, and prints, for each export and for a trivial string-in,
string-out signature (`tf.strings.lower`, the floor of a TensorFlow call
on this machine, measured in the same run):

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
import json
import os
import subprocess
import sys
import tempfile

#: The timing, in a process without the project: argv[1] the JSON of
#: {"exports": [...], "words": [...], "latency_words": N, "trivial": dir}.
TIMING = """
import json, sys, time
sys.modules["models"] = None      # the project cannot be imported
sys.modules["pipeline"] = None
import numpy as np
import tensorflow as tf

job = json.load(open(sys.argv[1], encoding="utf-8"))

module = tf.Module()
module.serve = tf.function(lambda words: {"phonemes": tf.strings.lower(words)},
                           input_signature=[tf.TensorSpec([None], tf.string, name="words")])
tf.saved_model.save(module, job["trivial"], signatures={"serving_default": module.serve})

words = job["words"]
single = words[: job["latency_words"]]
results = []
for path in [job["trivial"], *job["exports"]]:
    serve = tf.saved_model.load(path).signatures["serving_default"]
    for _ in range(3):
        serve(words=tf.constant(words[:256]))
    for word in single[:20]:
        serve(words=tf.constant([word]))
    latencies = []
    for word in single:
        batch = tf.constant([word])
        start = time.perf_counter()
        serve(words=batch)
        latencies.append(time.perf_counter() - start)
    batches = [tf.constant(words[i : i + 256]) for i in range(0, len(words), 256)]
    start = time.perf_counter()
    for batch in batches:
        serve(words=batch)
    seconds = time.perf_counter() - start
    results.append({"p50_ms": 1e3 * float(np.percentile(latencies, 50)),
                    "p99_ms": 1e3 * float(np.percentile(latencies, 99)),
                    "words_per_second": len(words) / seconds})
print(json.dumps(results))
"""


def size_mb(path):
    """The bytes under `path`, in MB (10^6)."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names) / 1e6


def measure(exports, words, latency_words):
    """`[trivial, *exports]` figures (`{"p50_ms", "p99_ms", "words_per_second"}`),
    from one process with the project blocked."""
    with tempfile.TemporaryDirectory() as scratch:
        job = os.path.join(scratch, "job.json")
        with open(job, "w", encoding="utf-8") as handle:
            json.dump({"exports": [os.path.abspath(p) for p in exports], "words": words,
                       "latency_words": latency_words,
                       "trivial": os.path.join(scratch, "trivial")}, handle)
        env = {**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", TIMING, job], check=True, env=env,
                             cwd=scratch, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(names, sizes, results):
    """The figures as a Markdown table, the trivial call first."""
    floor = results[0]["p50_ms"]
    lines = ["| export | size (MB) | batch-1 p50 (ms) | p99 (ms) | p50 / trivial | "
             "batch-256 words/s |", "|---|---|---|---|---|---|"]
    for name, size, r in zip(names, sizes, results, strict=True):
        lines.append(f"| {name} | {size} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                     f"{r['p50_ms'] / floor:.2f} | {r['words_per_second']:,.0f} |")
    return "\n".join(lines)


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
    results = measure(args.exports, words, args.latency_words)
    names = ["trivial signature (`tf.strings.lower`)", *args.exports]
    sizes = ["-", *(f"{size_mb(p):.1f}" for p in args.exports)]
    print(f"{len(words)} {args.split} words; batch 1 over the first {args.latency_words}")
    print(table(names, sizes, results))
    report = [{"export": n, "size_mb": s, **r}
              for n, s, r in zip(names, sizes, results, strict=True)]
    if args.json:
        atomic.write_json(args.json, report)
    return report


if __name__ == "__main__":
    from pipeline.core import cli

    cli.run_command(main)
