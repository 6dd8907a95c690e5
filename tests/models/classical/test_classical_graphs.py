"""The classical models as TensorFlow ops (`linear_ngram_graph`,
`ngram_lm_classifier_graph`, `ngram_graph`) give the probabilities of their
NumPy and scikit-learn originals, odd texts included."""

import numpy as np
import pytest
import tensorflow as tf

from models.classical.linear_ngram import LinearNGram
from models.classical.linear_ngram_graph import LinearNGramGraph
from models.classical.ngram import CharNGram
from models.classical.ngram_graph import CharNGramGraph
from models.classical.ngram_lm_classifier import NGramLMClassifier
from models.classical.ngram_lm_classifier_graph import NGramLMClassifierGraph

TEXTS = ["hello", "bonjour", "danke", "hallo", "bonsoir", "dank", "help", "bon", "x", "ça va",
         "über", "naïve", "gut", "oui"]
LABELS = ["en", "fr", "de", "en", "fr", "de", "en", "fr", "en", "fr", "de", "fr", "de", "fr"]
QUERIES = ["hello bon", "bonjourx", "", "zz", "über dank", "ça", "hello hello hello",
           "a b c d e", "   ", "🙂"]


@pytest.mark.parametrize("analyzer, ngram_range", [("char_wb", (1, 5)), ("char_wb", (3, 4)),
                                                   ("word", (1, 2))])
def test_linear_graph_matches_scikit_learn(analyzer, ngram_range):
    """(3, 4): padded words of 3 characters ("x", " x ") are shorter than
    n = 4 and count once, whole, as scikit-learn's char_wb does."""
    model = LinearNGram(["en", "fr", "de"], analyzer, ngram_range).fit(TEXTS, LABELS)
    served = LinearNGramGraph(model)(tf.constant(QUERIES)).numpy()
    np.testing.assert_allclose(served, model.predict_proba(QUERIES), atol=1e-6)


def test_linear_graph_with_two_classes_and_an_unseen_label():
    """Two classes seen: scikit-learn's sigmoid; a third label never seen in
    training gets probability 0."""
    model = LinearNGram(["en", "fr", "de"], "char_wb", (1, 3)).fit(TEXTS[:2] * 3, LABELS[:2] * 3)
    served = LinearNGramGraph(model)(tf.constant(QUERIES)).numpy()
    np.testing.assert_allclose(served, model.predict_proba(QUERIES), atol=1e-6)
    assert np.all(served[:, 2] == 0)


def test_ngram_lm_classifier_graph_matches_numpy():
    model = NGramLMClassifier(["en", "fr", "de", "es"], order=3).fit(TEXTS, LABELS)
    chars = tf.strings.unicode_split(tf.constant(QUERIES), "UTF-8")
    graph = NGramLMClassifierGraph(model)
    np.testing.assert_allclose(graph.log2_likelihoods(chars).numpy(),
                               model.log2_likelihoods(QUERIES), rtol=1e-12)
    served = graph(chars).numpy()
    np.testing.assert_allclose(served, model.predict_proba(QUERIES), atol=1e-6)
    assert np.all(served[:, 3] == 0)  # "es": no training text, prior 0


@pytest.mark.parametrize("method", ["kneser_ney", "witten_bell"])
def test_char_ngram_graph_matches_numpy(method):
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 6, size=300)
    model = CharNGram(6, order=4, method=method).fit(ids)
    windows = np.concatenate([model.windows(rng.integers(1, 6, size=50)),
                              [[0, 0, 0, 5], [0, 3, 2, 1]]])  # 0: before the text
    np.testing.assert_allclose(CharNGramGraph(model)(tf.constant(windows)).numpy(),
                               model.probabilities(windows), rtol=1e-12)
