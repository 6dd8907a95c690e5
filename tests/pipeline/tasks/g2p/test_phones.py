"""A G2P file's phonemes are checked against ARPAbet unless another phone
set is named, and prepare cuts words and pronunciations longer than
`data.max_word_length` (issue 33 items 2 and 6)."""

import json

import pytest

from pipeline import prepare
from pipeline.core.errors import DataError, run_cli
from pipeline.data.sources import read_g2p_tsv

WORDS = ["able", "baker", "cable", "dance", "eagle", "fable", "gable", "habit", "idle", "jolly",
         "kettle", "ladle", "maple", "noble", "oval", "paddle", "quiet", "rabbit", "saddle",
         "table", "uncle", "vessel", "wobble", "yodel", "zebra"]


def lexicon(path, extra=()):
    lines = [f"{word}\tEY1 B AH0 L" for word in WORDS] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("token", ["QQ", "XYZ2", "AH3", "B1"])
def test_a_phoneme_outside_arpabet_is_refused_at_its_line(tmp_path, token):
    path = lexicon(tmp_path / "d.tsv", [f"odd\tAH0 {token}"])
    with pytest.raises(DataError, match=rf"d.tsv:26: bad phoneme '{token}' for 'odd'; "
                                        "expected ARPAbet"):
        read_g2p_tsv(path)


def test_another_phone_set_is_named_explicitly(tmp_path, capsys):
    path = lexicon(tmp_path / "d.tsv", ["odd\tQQ XYZ2"])
    flags = ["--task", "g2p", "--preset", "smoke", "--data", str(path)]
    assert run_cli(prepare.main, [*flags, "--run-dir", str(tmp_path / "a")]) == 2
    assert "--set g2p.phones=any" in capsys.readouterr().err
    assert run_cli(prepare.main, [*flags, "--run-dir", str(tmp_path / "b"),
                                  "--set", "g2p.phones=any"]) == 0
    prepared = json.loads((tmp_path / "b" / "data" / "prepared.json").read_text("utf-8"))
    assert prepared["phones"] == "any"


def test_prepare_cuts_an_overlong_word_and_counts_it(tmp_path, capsys):
    path = lexicon(tmp_path / "d.tsv", ["a" * 100_000 + "\t" + " ".join(["AH0"] * 100_000)])
    run_dir = tmp_path / "run"
    assert run_cli(prepare.main, ["--task", "g2p", "--preset", "smoke", "--data", str(path),
                                  "--run-dir", str(run_dir)]) == 0
    assert "cut_words: 1" in capsys.readouterr().out
    from pipeline.core.config import resolve
    from pipeline.tasks.g2p import data

    entries = data.load_data(resolve("g2p", "smoke"), str(path))
    longest = max((word for split in entries.splits.values() for word in split), key=len)
    prons = next(split[longest] for split in entries.splits.values() if longest in split)
    assert len(longest) == 48 and all(len(p.split()) <= 48 for p in prons)
