"""`python -m pipeline.prepare`: outputs, and bad input handled as docs/architecture.md
section 2 asks (one line naming file and line, exit 2, nothing written)."""

import json
import os
import subprocess
import sys

import pytest

from pipeline.core import config as config_lib
from pipeline.core import registry, rundir
from pipeline.core.errors import UsageError
from pipeline.data import vocab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)



def prepare(task, run_dir, data):
    """The prepare stage of `task` at its defaults on the file `data`."""
    return rundir.prepare(registry.get(task), str(run_dir), config_lib.resolve(task, "quick"),
                          data=data)

def test_prepare_g2p_from_a_file(tmp_path):
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(60)]
    data = write(tmp_path / "lex.tsv", "".join(f"{w}\tW AH1 N\n" for w in words))
    task_data, prepared = prepare("g2p", tmp_path / "run", data)
    assert sum(prepared["sizes"].values()) == 60
    out = tmp_path / "run" / "data"
    assert json.loads((out / "prepared.json").read_text())["sizes"] == prepared["sizes"]
    phonemes = vocab.load_vocabulary(out / "vocab_phonemes.json")
    assert phonemes[:2] == ["<s>", "</s>"] and set(phonemes[2:]) == {"W", "AH1", "N"}
    train_chars = {c for w in task_data.splits["train"] for c in w}
    assert set(vocab.load_vocabulary(out / "vocab_graphemes.json")) == train_chars


def test_prepare_lm_vocabulary_keeps_newlines(tmp_path):
    data = write(tmp_path / "text.txt", "ab\ncd\n" * 50)
    prepare("lm", tmp_path / "run", data)
    chars = vocab.load_vocabulary(tmp_path / "run" / "data" / "vocab_chars.json")
    assert "\n" in chars and len(chars) == 5


def test_prepare_forecast_fits_normalizer_on_train_only(tmp_path):
    values = list(range(100)) + [10_000] * 10  # a jump only in the held-out part
    data = write(tmp_path / "s.csv", "value\n" + "".join(f"{v}\n" for v in values))
    _, prepared = prepare("forecast", tmp_path / "run", data)
    # two blocks of 30 origins at the CSV horizon 6 hold out 2 x 35 values: train = the first 40
    assert prepared["normalizer"]["mean"] == pytest.approx(19.5)


@pytest.mark.parametrize("task,pairs", [("forecast", ["nope"]), ("forecast", ["forecast.series"]),
                                        ("synthetic", ["synthetic.length=x"])])
def test_bad_set_values(task, pairs):
    """prepare reads `--set` as every stage does (`pipeline.core.config`)."""
    with pytest.raises(UsageError, match="--set"):
        config_lib.resolve(task, "quick", sets=pairs)


def run_cli(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "pipeline.prepare", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_bad_file_one_line_exit_2_nothing_written(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"cat\tK AE1 T\n\xff\xfe\tAH0\n")
    run_dir = tmp_path / "run"
    result = run_cli("--task", "g2p", "--data", str(bad), "--run-dir", str(run_dir))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"{bad}:2:" in lines[0]
    assert "Traceback" not in result.stderr
    assert not run_dir.exists()


def test_cli_usage_errors_exit_2(tmp_path):
    result = run_cli("--task", "forecast", "--data", "tfds:imdb_reviews",
                     "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert run_cli("--task", "nope").returncode == 2
