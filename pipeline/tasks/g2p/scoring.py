"""G2P scoring: word and phoneme error rates against every reference pronunciation.

docs/architecture.md section 3. A word is correct if its predicted phoneme
sequence equals any of its reference pronunciations. With `N` scored words:

    WER = (number of wrong words) / N
    PER = sum_w d(w) / sum_w len(r*(w))

where `d(w)` is the smallest Levenshtein distance (unit-cost insertions,
deletions and substitutions over phoneme tokens) between the prediction and
any reference of `w`, and `r*(w)` is the reference achieving it (the usual
"closest reference" convention). When several references tie on that
distance, `r*(w)` is the shortest of them: ties never shrink the PER by
choosing a longer denominator. (Other conventions, such as the length of
the first reference, give different PERs; compare numbers only with this
one.)

"Stress removed" scores strip the stress digits 0-2 from the vowels of
predictions and references alike before comparing (`AH0` -> `AH`), so a
word can be right without stress while wrong with it.

The scored words are the keys of `references`; predictions for other words
are ignored, and a word missing from `predictions` counts as wrong with an
empty prediction. Pronunciations are space-separated ARPAbet strings (token
lists are accepted too). Pure Python: no TensorFlow.

References:
    Levenshtein, "Binary codes capable of correcting deletions, insertions
    and reversals", 1966.
    Bisani and Ney, "Joint-sequence models for grapheme-to-phoneme
    conversion", Speech Communication 2008 (WER and PER over CMUdict with
    multiple references).
"""

import re
import zlib

_STRESSED = re.compile(r"([A-Za-z]+)[012]")  # a vowel with its stress digit


def strip_stress(tokens):
    """Removes the stress digit 0, 1 or 2 that ends an ARPAbet vowel.

    `["AH0", "B", "ER1"]` -> `["AH", "B", "ER"]`; tokens without a stress
    digit are kept as they are. Returns a new list.
    """
    return [m.group(1) if (m := _STRESSED.fullmatch(t)) else t for t in tokens]


def edit_distance(a, b):
    """Levenshtein distance between token sequences `a` and `b`.

    The least number of single-token insertions, deletions and
    substitutions (each cost 1) that turn `a` into `b`; symmetric.
    """
    a, b = list(a), list(b)
    if len(a) < len(b):
        a, b = b, a  # keep the row over the shorter sequence
    previous = list(range(len(b) + 1))  # distances from a[:0] to b[:j]
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + 1,  # delete x
                    current[j - 1] + 1,  # insert y
                    previous[j - 1] + (x != y),  # substitute (free on a match)
                )
            )
        previous = current
    return previous[-1]


def _tokens(pronunciation):
    """A space-separated string or a token sequence -> a list of tokens."""
    if isinstance(pronunciation, str):
        return pronunciation.split()
    return list(pronunciation)


def _references(word, references):
    refs = references[word]
    refs = [refs] if isinstance(refs, str) else list(refs)
    if not refs:
        raise ValueError(f"Word {word!r} has no reference pronunciation.")
    return refs


def _score_word(prediction, references, stress):
    """`(correct, distance, reference_length)` of one word.

    `distance` is the least edit distance to a reference and
    `reference_length` the length of the closest reference (the shortest
    one on ties, see the module docstring).
    """
    predicted = _tokens(prediction)
    refs = [_tokens(r) for r in references]
    if not stress:
        predicted = strip_stress(predicted)
        refs = [strip_stress(r) for r in refs]
    if predicted in refs:
        return True, 0, len(predicted)  # the equal reference is the closest
    # min over (distance, length) picks the closest reference, the shortest on ties.
    distance, length = min((edit_distance(predicted, r), len(r)) for r in refs)
    return False, distance, length


def score(predictions, references, stress=True):
    """WER and PER of `predictions` against `references`.

    Args:
        predictions: `{word: "P H O N E S"}`, the predicted pronunciation of
            each word (a token list is accepted too).
        references: `{word: ["P1 ...", "P2 ..."]}`, every reference
            pronunciation of each scored word (a single string is accepted).
        stress: True (default) compares the phonemes as given; False strips
            the stress digits on both sides first.

    Returns:
        `{"wer": float, "per": float, "words": int}`, the rates as fractions.

    Raises:
        ValueError: if `references` is empty, a word has no reference, or all
            references are empty (PER would divide by zero).
    """
    if not references:
        raise ValueError("No words to score: `references` is empty.")
    wrong = errors_total = length_total = 0
    for word in references:
        correct, distance, length = _score_word(
            predictions.get(word, ""), _references(word, references), stress
        )
        wrong += not correct
        errors_total += distance
        length_total += length
    if length_total == 0:
        raise ValueError("All reference pronunciations are empty; PER is undefined.")
    words = len(references)
    return {"wer": wrong / words, "per": errors_total / length_total, "words": words}


def oracle_wer(nbest, references, stress=True):
    """The n-best oracle WER: the fraction of words none of whose hypotheses
    equals a reference pronunciation (the least WER that reranking the
    lists could reach).

    Args:
        nbest: `{word: ["P H ...", ...]}`, each word's hypotheses.
        references: as in `score`.
        stress: as in `score`.
    """
    if not references:
        raise ValueError("No words to score: `references` is empty.")
    wrong = sum(not any(_score_word(h, _references(word, references), stress)[0]
                        for h in nbest.get(word, [""]))
                for word in references)
    return wrong / len(references)


def score_all(predictions, references):
    """Both scores of docs/architecture.md section 3: stress kept and stress removed.

    Returns:
        `{"wer", "per", "wer_no_stress", "per_no_stress", "words"}`.
    """
    kept = score(predictions, references, stress=True)
    removed = score(predictions, references, stress=False)
    return {
        "wer": kept["wer"],
        "per": kept["per"],
        "wer_no_stress": removed["wer"],
        "per_no_stress": removed["per"],
        "words": kept["words"],
    }


def errors(predictions, references, limit=20, stress=True):
    """A deterministic sample of the wrongly predicted words.

    The wrong words are ordered by `zlib.crc32` of the word (then by the
    word), a fixed pseudo-random order, so that the sample spreads over the
    vocabulary instead of listing the words that start with "a"; the same
    inputs always give the same sample.

    Args:
        predictions, references, stress: As in `score`.
        limit: Most words returned; None for all. Default 20.

    Returns:
        A list of `{"word", "prediction", "references", "distance"}` dicts:
        the prediction as a space-separated string ("" when missing), the
        reference strings, and the least edit distance to them.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"`limit` must be None or >= 0. Received: limit={limit}")
    found = []
    for word in sorted(references, key=lambda w: (zlib.crc32(w.encode("utf-8")), w)):
        if limit is not None and len(found) >= limit:
            break
        prediction = predictions.get(word, "")
        refs = _references(word, references)
        correct, distance, _ = _score_word(prediction, refs, stress)
        if not correct:
            found.append(
                {
                    "word": word,
                    "prediction": " ".join(_tokens(prediction)),
                    "references": [" ".join(_tokens(r)) for r in refs],
                    "distance": distance,
                }
            )
    return found
