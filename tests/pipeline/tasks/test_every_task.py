"""Every registered task through the `Task` contract at the smoke preset:
prepare, train, evaluate and export (`pipeline.run`), the validation split,
predict on the task's sample inputs, its export answering a request in a
process that cannot import the project, and a bad `--set` refused in one
line before any work. Each task's own tests check what is particular to it."""

import os

import pytest

from pipeline import evaluate, predict
from pipeline import run as run_stage
from pipeline.core import registry
from pipeline.core.config import resolve
from pipeline.core.errors import run_cli
from tests.pipeline.tasks.serving import serve_blocked


@pytest.fixture(scope="module", params=registry.names())
def smoke_run(request, tmp_path_factory):
    task = request.param
    base = tmp_path_factory.mktemp(task)
    run_dir, export_dir = str(base / "run"), str(base / "saved")
    flags = ["--task", task, "--preset", "smoke", "--run-dir", run_dir]
    assert run_stage.main([*flags, "--export-dir", export_dir]) == 0
    return registry.get(task), flags, run_dir, export_dir


def test_every_stage(smoke_run, capsys):
    task, flags, run_dir, _ = smoke_run
    assert os.path.exists(os.path.join(run_dir, "metrics.json"))
    assert os.path.exists(os.path.join(run_dir, "data", "prepared.json"))
    assert evaluate.main([*flags, "--split", "validation"]) == 0
    assert os.path.exists(os.path.join(run_dir, "validation", "metrics.json"))
    capsys.readouterr()
    inputs = task.sample_inputs(resolve(task.name, "smoke"))
    assert predict.main([*flags, *inputs]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(inputs) and all(lines)


def odd_requests(request):
    """The request with a batch of none, and, for string inputs, a batch of
    empty words and NUL characters."""
    requests = [{**request, "__batch__": 0}]
    texts = {k: ["", "\x00"] for k, v in request.items()
             if isinstance(v, list) and all(isinstance(x, str) for x in v)}
    if texts:
        requests.append({**request, **texts})
    return requests


def test_the_export_answers_with_the_project_blocked(smoke_run):
    """The sample request, a batch of none and a batch of empty strings all
    get an answer of their batch size (TF Serving forwards them as sent)."""
    task, _, _, export_dir = smoke_run
    if not task.exportable:
        assert not os.path.exists(export_dir)  # a benchmark task exports nothing
        return
    (version,) = os.listdir(os.path.join(export_dir, task.name))
    request = task.serving_request(resolve(task.name, "smoke"))
    odd = odd_requests(request)
    served = serve_blocked(os.path.join(export_dir, task.name, version), request, *odd)
    assert set(served["inputs"]) == set(request)
    batches = [len(next(iter(request.values())))] + [r.get("__batch__", 2) for r in odd]
    for answer, batch in zip(served["answers"], batches, strict=True):
        assert answer.keys() == served["outputs"].keys()
        assert all(len(values) == batch for values in answer.values())


@pytest.mark.parametrize("flag,message", [
    ("train.epochs=0", "--set train.epochs=0: expected 1 or more"),
    ("model.no_such_key=1", "--set model.no_such_key=1: unknown key model.no_such_key"),
])
def test_a_bad_set_is_one_line_before_any_work(smoke_run, flag, message, tmp_path, capsys):
    task, _, _, _ = smoke_run
    run_dir = tmp_path / "run"
    args = ["--task", task.name, "--preset", "smoke", "--run-dir", str(run_dir),
            "--set", flag]
    assert run_cli(run_stage.main, args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {message}")
    assert not run_dir.exists()
