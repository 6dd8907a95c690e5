"""The report table of `pipeline.compare` (the end-to-end run is in
tests/pipeline/tasks/g2p/test_task.py)."""

from pipeline import compare


def test_report_table_marks_a_missing_metric():
    rows = [{"variant": "lstm", "metrics": {"error": 0.25, "decay": -0.5}, "params": 17217,
             "epochs": 10, "train_seconds": 199.4, "inference_ms": 0.371},
            {"variant": "transformer", "metrics": {"error": 0.125, "decay": None},
             "params": 100225, "epochs": 10, "train_seconds": 476.0, "inference_ms": 0.26}]
    text = compare.report_markdown("synthetic", "quick", rows, ["error", "decay"],
                                   "python -m pipeline.compare ...", [("error", "e.png")])
    lines = text.splitlines()
    assert "| lstm | 0.2500 | -0.5000 | 17,217 | 10 | 199 | 0.37 |" in lines
    assert "| transformer | 0.1250 | n/a | 100,225 | 10 | 476 | 0.26 |" in lines
    assert "![error](e.png)" in lines
