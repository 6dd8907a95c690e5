"""`--help` of the stage scripts: each flag's default shown once, and none
where there is nothing to show."""

import argparse

from pipeline.core import cli


def test_help_formatter_shows_a_default_only_where_it_tells_something():
    p = argparse.ArgumentParser(formatter_class=cli.HelpFormatter)
    p.add_argument("--need", required=True, help="required")
    p.add_argument("--maybe", help="optional, no default")
    p.add_argument("--many", action="append", default=[], help="repeatable")
    p.add_argument("--said", default="x", help="says it (default: x)")
    p.add_argument("--size", type=int, default=3, help="a size")
    p.add_argument("--flag", action="store_true", help="a switch")
    p.add_argument("--seed", type=int, default=0, help="a seed")
    text = " ".join(p.format_help().split())
    assert "(default: None)" not in text and "(default: [])" not in text
    assert "(default: False)" not in text
    assert text.count("(default: x)") == 1 and "a size (default: 3)" in text
    assert "a seed (default: 0)" in text
    assert "required (default" not in text


def test_stage_and_search_help_show_real_defaults_only():
    from tuning import search

    for p in (cli.parser("run", "run", strategy=True), search.parser()):
        text = " ".join(p.format_help().split())
        assert "(default: None)" not in text and "(default: [])" not in text
        assert "(default: quick)" in text


COMMANDS = ["pipeline.prepare", "pipeline.train", "pipeline.evaluate", "pipeline.export",
            "pipeline.predict", "pipeline.run", "pipeline.compare", "pipeline.generate",
            "pipeline.diagnostics", "tuning.search"]

#: Runs a command's `--help` in-process and prints whether TensorFlow was loaded.
HELP = """
import runpy, sys
sys.argv = [sys.argv[1], *sys.argv[2:], "--help"]
try:
    runpy.run_module(sys.argv[0], run_name="__main__")
except SystemExit as stopped:
    assert stopped.code == 0, stopped.code
sys.stdout.write("tensorflow" if "tensorflow" in sys.modules else "no tensorflow")
"""


def test_help_answers_without_loading_tensorflow():
    """`--help` answers at once: no command loads TensorFlow (8 s) for it."""
    import subprocess
    import sys

    for command in COMMANDS:
        result = subprocess.run([sys.executable, "-c", HELP, command], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, (command, result.stderr[-500:])
        assert result.stdout.endswith("no tensorflow"), command
        assert "usage: python -m" in result.stdout, command


def test_help_with_a_task_lists_its_keys_from_its_schema():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", HELP, "pipeline.train", "--task",
                             "synthetic"], capture_output=True, text=True, timeout=60)
    assert result.stdout.endswith("no tensorflow")
    assert 'synthetic.problem="adding": the problem: adding, copy or parity' in result.stdout
    assert "train.jit_compile=false: compile the training step with XLA" in result.stdout
