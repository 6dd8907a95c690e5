"""Serving figures of SavedModel exports, measured as a client holds them.

One subprocess that cannot import this project (as TF Serving or a client
would hold the export) loads each export and calls its `serving_default`
signature with one string input, after a trivial string-in, string-out
signature (`tf.strings.lower`, the floor of a TensorFlow call on this
machine, measured in the same run):

- batch-1 latency: one input a call, over the first `latency_count`
  inputs, p50 and p99 in milliseconds;
- batch-256 throughput: every input in calls of 256, in inputs per second;
- optionally the answers of those calls (one output, decoded if strings).

The benches of the tasks (`bench.g2p_serving`, `bench.classify_export`,
`bench.g2p_export_wer`) build on `measure`, `size_mb`, `table` and
`export_metadata`.
"""

import json
import os
import subprocess
import sys
import tempfile

#: The timing, in a process without the project: argv[1] the JSON of
#: {"exports", "inputs", "latency_count", "trivial", "input", "answer"}.
TIMING = """
import json, sys, time
sys.modules["models"] = None      # the project cannot be imported
sys.modules["pipeline"] = None
import numpy as np
import tensorflow as tf

job = json.load(open(sys.argv[1], encoding="utf-8"))
name = job["input"]

module = tf.Module()
module.serve = tf.function(lambda x: {"out": tf.strings.lower(x)},
                           input_signature=[tf.TensorSpec([None], tf.string, name=name)])
tf.saved_model.save(module, job["trivial"], signatures={"serving_default": module.serve})

inputs = job["inputs"]
single = inputs[: job["latency_count"]]
results = []
for k, path in enumerate([job["trivial"], *job["exports"]]):
    serve = tf.saved_model.load(path).signatures["serving_default"]
    for _ in range(3):
        serve(**{name: tf.constant(inputs[:256])})
    for x in single[:20]:
        serve(**{name: tf.constant([x])})
    latencies = []
    for x in single:
        batch = tf.constant([x])
        start = time.perf_counter()
        serve(**{name: batch})
        latencies.append(time.perf_counter() - start)
    batches = [tf.constant(inputs[i : i + 256]) for i in range(0, len(inputs), 256)]
    answers = []
    start = time.perf_counter()
    for batch in batches:
        answers.append(serve(**{name: batch}))
    seconds = time.perf_counter() - start
    result = {"p50_ms": 1e3 * float(np.percentile(latencies, 50)),
              "p99_ms": 1e3 * float(np.percentile(latencies, 99)),
              "per_second": len(inputs) / seconds}
    if job["answer"] and k > 0:
        values = np.concatenate([a[job["answer"]].numpy() for a in answers])
        result["answers"] = [v.decode() if isinstance(v, bytes) else v for v in values.tolist()]
    results.append(result)
print(json.dumps(results))
"""


def export_metadata(parser, path, task):
    """The `assets.extra/metadata.json` of the export at `path`, after
    checking it is a `pipeline.export` export of `task`; otherwise
    `parser.error` (one line, exit 2)."""
    metadata = os.path.join(path, "assets.extra", "metadata.json")
    if not os.path.exists(metadata):
        parser.error(f"{path}: not an export of pipeline.export (no "
                     f"assets.extra/metadata.json); give a directory like saved/{task}/1")
    with open(metadata, encoding="utf-8") as handle:
        found = json.load(handle)
    if found.get("task") != task:
        parser.error(f"{path}: an export of the {found.get('task')} task; give a {task} export")
    return found


def size_mb(path):
    """The bytes under `path`, in MB (10^6)."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names) / 1e6


def measure(exports, inputs, latency_count, input_name, answer=None):
    """`[trivial, *exports]` figures (`{"p50_ms", "p99_ms", "per_second"}`,
    and for the exports `"answers"`, the output `answer` of every input,
    when given), from one process with the project blocked."""
    with tempfile.TemporaryDirectory() as scratch:
        job = os.path.join(scratch, "job.json")
        with open(job, "w", encoding="utf-8") as handle:
            json.dump({"exports": [os.path.abspath(p) for p in exports], "inputs": inputs,
                       "latency_count": latency_count, "input": input_name, "answer": answer,
                       "trivial": os.path.join(scratch, "trivial")}, handle)
        env = {**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", TIMING, job], check=True, env=env,
                             cwd=scratch, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(names, sizes, results, unit="words", extra=None):
    """The figures as a Markdown table, the trivial call first; `extra`
    `(heading, [cell per row])` adds a column."""
    floor = results[0]["p50_ms"]
    head = (f"| export | size (MB) | batch-1 p50 (ms) | p99 (ms) | p50 / trivial | "
            f"batch-256 {unit}/s |")
    lines = [head + (f" {extra[0]} |" if extra else ""),
             "|---" * (6 + bool(extra)) + "|"]
    for i, (name, size, r) in enumerate(zip(names, sizes, results, strict=True)):
        lines.append(f"| {name} | {size} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                     f"{r['p50_ms'] / floor:.2f} | {r['per_second']:,.0f} |"
                     + (f" {extra[1][i]} |" if extra else ""))
    return "\n".join(lines)
