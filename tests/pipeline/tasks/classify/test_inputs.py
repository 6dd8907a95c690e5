"""The classify task's tf.data batches and tokens (`pipeline.tasks.classify.inputs`)."""

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
