"""`pipeline.tasks.lm.baselines.long_ngram_log2`: the long n-gram, static and
refitted as it reads, is the `CharNGram` of `ngram.long_order`."""

import numpy as np

from models.classical.ngram import CharNGram, refitted_log2_probabilities
from pipeline.core.config import resolve
from pipeline.tasks.lm.baselines import long_ngram_log2


def test_long_ngram_static_and_refitted():
    rng = np.random.default_rng(0)
    train, scored = rng.integers(1, 6, 400), rng.integers(1, 6, 90)
    config = resolve("lm", "smoke", sets=["ngram.long_order=7", "ngram.long_segment=30"])
    out = long_ngram_log2(config, train, 6, {"validation": scored})["validation"]
    expected = CharNGram(6, order=7).fit(train).log2_probabilities(scored)
    np.testing.assert_array_equal(out["long_ngram"], expected)
    np.testing.assert_array_equal(
        out["long_ngram_refitted"],
        refitted_log2_probabilities(train, scored, 30, vocabulary_size=6, order=7))
    assert not np.array_equal(out["long_ngram"], out["long_ngram_refitted"])
    static_only = resolve("lm", "smoke", sets=["ngram.long_order=7"])
    assert set(long_ngram_log2(static_only, train, 6, {"test": scored})["test"]) == {
        "long_ngram"}
