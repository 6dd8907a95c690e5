"""Tests of `pipeline.tasks.g2p.scoring` on small hand-computed examples."""

import subprocess
import sys

import pytest

from pipeline.tasks.g2p.scoring import (
    edit_distance,
    errors,
    oracle_wer,
    score,
    score_all,
    strip_stress,
)

# Four words, every value below worked out by hand:
#   read  right: equals the second reference.
#   cat   wrong with stress (AE0 for AE1, distance 1), right without.
#   abc   wrong: 2 substitutions from "AH0 B K" (length 3), 2 deletions from
#         "EY1 B IY1 S IY1" (length 5); a tie, so the shorter length 3 counts.
#   the   missing: an empty prediction, distance 2 from either reference of length 2.
REFERENCES = {
    "read": ["R IY1 D", "R EH1 D"],
    "cat": ["K AE1 T"],
    "abc": ["AH0 B K", "EY1 B IY1 S IY1"],
    "the": ["DH AH0", "DH IY0"],
}
PREDICTIONS = {
    "read": "R EH1 D",
    "cat": "K AE0 T",
    "abc": "EY1 B IY1",
    "zebra": "Z IY1 B R AH0",  # not a scored word: ignored
}


# ----------------------------------------------------------- strip_stress
def test_strip_stress_removes_vowel_stress_digits():
    tokens = ["AH0", "B", "ER1", "EY2", "T", "OW0"]
    assert strip_stress(tokens) == ["AH", "B", "ER", "EY", "T", "OW"]
    assert tokens[0] == "AH0"  # a new list; the input is left alone


def test_strip_stress_keeps_other_tokens():
    assert strip_stress(["K", "NG", "AH3", "0", ""]) == ["K", "NG", "AH3", "0", ""]
    assert strip_stress([]) == []


# ---------------------------------------------------------- edit_distance
@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([], [], 0),
        ([], ["A", "B"], 2),  # two insertions
        (["A", "B"], [], 2),  # two deletions
        (["A", "B", "C"], ["A", "B", "C"], 0),
        (["A", "B", "C"], ["A", "C"], 1),  # one deletion
        (["A", "C"], ["A", "B", "C"], 1),  # one insertion
        (["A", "B", "C"], ["A", "X", "C"], 1),  # one substitution
        (["A", "B"], ["B", "A"], 2),  # a swap is two edits
        (list("kitten"), list("sitting"), 3),  # 2 substitutions + 1 insertion
        (["K", "AE1", "T"], ["K", "AH0", "T", "S"], 2),  # substitution + insertion
        (["AE1"], ["AE0"], 1),  # stress digits are part of the token
    ],
)
def test_edit_distance(a, b, expected):
    assert edit_distance(a, b) == expected
    assert edit_distance(b, a) == expected


def test_edit_distance_takes_any_sequences():
    assert edit_distance(("A", "B"), iter(["A"])) == 1


# ------------------------------------------------------------------ score
def test_score_with_stress():
    result = score(PREDICTIONS, REFERENCES)
    # Wrong: cat, abc, the. Distances 0 + 1 + 2 + 2 over lengths 3 + 3 + 3 + 2.
    assert result == {"wer": 3 / 4, "per": 5 / 11, "words": 4}


def test_score_without_stress_makes_cat_right():
    result = score(PREDICTIONS, REFERENCES, stress=False)
    # Wrong: abc, the. Distances 0 + 0 + 2 + 2 over lengths 3 + 3 + 3 + 2.
    assert result == {"wer": 2 / 4, "per": 4 / 11, "words": 4}


def test_score_all():
    assert score_all(PREDICTIONS, REFERENCES) == {
        "wer": 3 / 4,
        "per": 5 / 11,
        "wer_no_stress": 2 / 4,
        "per_no_stress": 4 / 11,
        "words": 4,
    }


def test_oracle_wer_counts_words_no_hypothesis_gets_right():
    nbest = {
        "read": ["R EY1 D", "R EH1 D"],  # the second hypothesis is right
        "cat": ["K AE0 T", "K AA1 T"],  # right only without stress
        "abc": ["EY1 B IY1"],  # wrong
        # "the": no hypotheses, wrong
    }
    assert oracle_wer(nbest, REFERENCES) == 3 / 4
    assert oracle_wer(nbest, REFERENCES, stress=False) == 2 / 4
    # the first hypotheses alone score as `score` does
    firsts = {word: hypotheses[0] for word, hypotheses in nbest.items()}
    assert oracle_wer({w: [h] for w, h in firsts.items()}, REFERENCES) == score(
        firsts, REFERENCES)["wer"]
    with pytest.raises(ValueError, match="No words"):
        oracle_wer(nbest, {})


def test_any_reference_counts_as_correct():
    refs = {"read": ["R IY1 D", "R EH1 D"]}
    assert score({"read": "R IY1 D"}, refs)["wer"] == 0.0
    assert score({"read": "R EH1 D"}, refs)["wer"] == 0.0
    assert score({"read": "R EY1 D"}, refs) == {"wer": 1.0, "per": 1 / 3, "words": 1}


def test_per_uses_the_length_of_the_closest_reference():
    # "C D E": 3 edits from "A B" (length 2), 1 insertion from "C D E F" (length 4).
    result = score({"x": "C D E"}, {"x": ["A B", "C D E F"]})
    assert result == {"wer": 1.0, "per": 1 / 4, "words": 1}


def test_per_ties_take_the_shortest_reference():
    # "A B" is 1 from both "A" (length 1) and "A B C" (length 3), in either order.
    for refs in (["A", "A B C"], ["A B C", "A"]):
        assert score({"x": "A B"}, {"x": refs})["per"] == 1 / 1


def test_empty_and_missing_predictions_are_wrong():
    refs = {"cat": ["K AE1 T"], "dog": ["D AO1 G"]}
    result = score({"cat": ""}, refs)  # "dog" missing
    assert result == {"wer": 1.0, "per": 6 / 6, "words": 2}


def test_per_counts_insertions_beyond_the_reference():
    result = score({"a": "AH0 AH0 AH0 AH0"}, {"a": ["AH0"]})
    assert result == {"wer": 1.0, "per": 3 / 1, "words": 1}


def test_token_lists_and_single_strings_are_accepted():
    assert score({"cat": ["K", "AE1", "T"]}, {"cat": "K AE1 T"})["wer"] == 0.0


def test_score_rejects_unscorable_references():
    with pytest.raises(ValueError, match="empty"):
        score({}, {})
    with pytest.raises(ValueError, match="no reference"):
        score({"a": "AH0"}, {"a": []})
    with pytest.raises(ValueError, match="PER"):
        score({"a": ""}, {"a": [""]})


def test_scoring_does_not_import_tensorflow():
    code = "import sys, pipeline.tasks.g2p.scoring; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "False"


# ----------------------------------------------------------------- errors
def test_errors_lists_the_wrong_words():
    found = errors(PREDICTIONS, REFERENCES, limit=None)
    by_word = {e["word"]: e for e in found}
    assert set(by_word) == {"cat", "abc", "the"}
    assert by_word["cat"] == {
        "word": "cat", "prediction": "K AE0 T", "references": ["K AE1 T"], "distance": 1,
    }
    assert by_word["the"] == {
        "word": "the", "prediction": "", "references": ["DH AH0", "DH IY0"], "distance": 2,
    }
    assert by_word["abc"]["distance"] == 2
    assert {e["word"] for e in errors(PREDICTIONS, REFERENCES, stress=False)} == {"abc", "the"}


def test_errors_order_is_deterministic_and_limited():
    found = [e["word"] for e in errors(PREDICTIONS, REFERENCES, limit=None)]
    assert found == ["abc", "the", "cat"]  # crc32: abc 0x352441c2 < the 0x3c456de6 < cat 0x9e5e43a8
    reversed_refs = dict(reversed(list(REFERENCES.items())))
    assert [e["word"] for e in errors(PREDICTIONS, reversed_refs, limit=None)] == found
    assert [e["word"] for e in errors(PREDICTIONS, REFERENCES, limit=2)] == found[:2]
    assert errors(PREDICTIONS, REFERENCES, limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        errors(PREDICTIONS, REFERENCES, limit=-1)
