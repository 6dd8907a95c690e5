"""The classify task's tf.data batches and tokens (`pipeline.tasks.classify.inputs`)."""

import numpy as np
import tensorflow as tf

from pipeline.tasks.classify import inputs as classify_inputs


def test_classify_batches():
    data = tf.data.Dataset.from_tensor_slices((["hallo", "hello", "bonjour zut"],
                                              ["de", "en", "fr"]))
    vocabulary = classify_inputs.build_vocabulary(["hallo", "hello", "bonjour"])
    (ids, labels), = list(classify_inputs.batches(data, vocabulary, ["en", "fr", "de"],
                                                  batch_size=3, max_length=7))
    assert ids.shape == (3, 7)
    assert sorted(labels.numpy().tolist()) == [0, 1, 2]
    word_vocabulary = classify_inputs.build_vocabulary(["bonjour zut"], unit="word")
    words = classify_inputs.batches(data, word_vocabulary, ["en", "fr", "de"], unit="word",
                                    batch_size=3)
    assert max(b[0].shape[1] for b in words) == 2


def test_token_lists_read_what_the_network_reads():
    """Lower-cased characters or words, cut to `max_length`: the naive Bayes
    baseline's tokens are the model's."""
    assert classify_inputs.token_lists(["HeLLo", "ça va"], "char", 3) == [
        ["h", "e", "l"], ["ç", "a", " "]]
    assert classify_inputs.token_lists(["Bonjour  tout le monde"], "word", 3) == [
        ["bonjour", "tout", "le"]]


def test_as_dataset_keeps_the_pairs_in_order():
    pairs = [("hallo", "de"), ("hello", "en")]
    got = [(t.decode(), y.decode()) for t, y in
           classify_inputs.as_dataset(pairs).as_numpy_iterator()]
    assert got == pairs


def test_ngram_ids_hash_the_ngrams_ending_at_each_token():
    """Position i gets the hashed n-grams (orders 2..N) that end at token i,
    the text left-padded with the begin marker; dense and ragged agree, and
    batches carry `[B, S, N]` inputs (the token id, then the n-grams)."""
    hashed = tf.strings.to_hash_bucket_fast
    b, sep = classify_inputs.BEGIN, "\x1f"
    grams = classify_inputs.ngram_ids(tf.constant(["a", "b", "c"]), 3, 50).numpy()
    expected = [[[b + sep + "a", b + sep + b + sep + "a"]], [["a" + sep + "b", b + sep + "a"
                                                              + sep + "b"]],
                [["b" + sep + "c", "a" + sep + "b" + sep + "c"]]]
    np.testing.assert_array_equal(grams, np.concatenate(
        [hashed(tf.constant(e), 50).numpy() + 1 for e in expected]))
    ragged = classify_inputs.ngram_ids(tf.ragged.constant([["a", "b", "c"], []]), 3, 50)
    assert ragged.to_list() == [grams.tolist(), []]
    data = tf.data.Dataset.from_tensor_slices((["abc", "ab"], ["x", "y"]))
    (inputs, _), = list(classify_inputs.batches(data, ["a", "b", "c"], ["x", "y"],
                                                ngram_order=3, ngram_buckets=50))
    assert inputs.shape == (2, 3, 3)
    assert sorted(inputs[:, :, 0].numpy().tolist()) == [[2, 3, 0], [2, 3, 4]]
