"""What the export tests share: an export's answers from a process that
cannot import the project, as TF Serving sees an export."""

import json
import os
import subprocess
import sys

#: Loads the export `argv[1]`, answers each JSON request of `argv[2]` with
#: the project blocked, and prints the signature's specs and the answers.
SERVE = """
import json, sys
sys.modules["models"] = None      # the project cannot be imported
sys.modules["pipeline"] = None
import tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
specs = serve.structured_input_signature[1]
spec = lambda v: [v.dtype.name, v.shape.as_list()]

def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

def tensor(name, value, batch):
    x = tf.constant(value, specs[name].dtype)
    batched = specs[name].shape.rank and specs[name].shape[0] is None
    return x[:batch] if batched and batch is not None else x

answers = []
for request in json.loads(sys.argv[2]):
    batch = request.pop("__batch__", None)
    out = serve(**{k: tensor(k, v, batch) for k, v in request.items()})
    answers.append({k: plain(v.numpy().tolist()) for k, v in out.items()})
print(json.dumps({"inputs": {k: spec(v) for k, v in specs.items()},
                  "outputs": {k: spec(v) for k, v in serve.structured_outputs.items()},
                  "answers": answers}))
"""


def serve_blocked(path, *requests):
    """`{"inputs": {name: [dtype, shape]}, "outputs": {...}, "answers": [...]}`:
    the `serving_default` signature of the export at `path` and its answers
    (`{output: list}`) to each request (`{input: JSON value}`), from a
    process that cannot import the project. A request's key `"__batch__": N`
    keeps the first N rows of every batched input (0: a batch of none, whose
    other dimensions JSON cannot say)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", SERVE, path, json.dumps(requests)],
                            cwd="/", env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
