"""The `wordfreq_langid` TFDS builder (`pipeline.tasks.classify.dataset`),
prepared from small fake word lists without the network: split sizes
follow the word hash, no word is in two splits, ambiguous words are dropped
and the classes balanced, and the features and metadata are as documented."""

import collections

import pytest
import tensorflow as tf

from pipeline.data.splits import SPLITS, keyed_split
from pipeline.tasks.classify.dataset import LANGUAGES, WordfreqLangid, unambiguous_balanced
from tests.pipeline.tasks.builder_test import num_examples, prepare, read_splits, text

# Most frequent first. "hotel" and "taxi" are in all three lists and "winter"
# in two: all are dropped. "a" (one letter), "it's", "l'eau" and "2020" (not
# alphabetic) are dropped too. PER_CLASS = 6 then keeps each language's six
# most frequent remaining words.
FAKE_WORDFREQ = {
    "en": ["the", "a", "hotel", "kitchen", "it's", "the", "taxi", "house", "water", "winter",
           "bread", "window", "friend", "school"],
    "fr": ["le", "pomme", "hotel", "taxi", "ile", "l'eau", "riviere", "maison", "pain",
           "ami", "ecole", "jardin"],
    "de": ["der", "insel", "tisch", "hotel", "taxi", "winter", "katze", "haus", "2020",
           "brot", "fenster", "freund"],
}
KEPT_WORDS = {
    "en": ["the", "kitchen", "house", "water", "bread", "window"],
    "fr": ["le", "pomme", "ile", "riviere", "maison", "pain"],
    "de": ["der", "insel", "tisch", "katze", "haus", "brot"],
}


@pytest.fixture(scope="module")
def wordfreq(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("wordfreq")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WordfreqLangid, "source", staticmethod(lambda: FAKE_WORDFREQ))
        patch.setattr(WordfreqLangid, "PER_CLASS", 6)
        builder = prepare(WordfreqLangid(data_dir=data_dir))
    return builder, read_splits(builder)


def test_wordfreq_split_sizes_follow_the_word_hash(wordfreq):
    builder, examples = wordfreq
    expected = collections.Counter(
        keyed_split(word) for words in KEPT_WORDS.values() for word in words
    )
    assert num_examples(builder) == {split: expected[split] for split in SPLITS}
    assert num_examples(builder) == {"train": 11, "validation": 3, "test": 4}
    assert {split: len(items) for split, items in examples.items()} == num_examples(builder)


def test_wordfreq_features(wordfreq):
    builder, _ = wordfreq
    features = builder.info.features
    assert features["label"].names == list(LANGUAGES)
    assert features.dtype == {"text": tf.string, "label": tf.int64}
    assert features.shape == {"text": (), "label": ()}
    assert builder.info.supervised_keys == ("text", "label")


def test_wordfreq_ambiguous_words_dropped_and_classes_balanced(wordfreq):
    builder, examples = wordfreq
    names = builder.info.features["label"].names
    labelled = [(text(ex["text"]), names[ex["label"]])
                for items in examples.values() for ex in items]
    words = [word for word, _ in labelled]
    assert len(words) == len(set(words))  # no word in two splits
    assert not {"hotel", "taxi", "winter", "a", "it's", "l'eau", "2020"} & set(words)
    by_language = collections.defaultdict(set)
    for word, language in labelled:
        by_language[language].add(word)
    assert by_language == {lang: set(words) for lang, words in KEPT_WORDS.items()}
    assert collections.Counter(lang for _, lang in labelled) == {"en": 6, "fr": 6, "de": 6}
    assert builder.info.metadata["ambiguous_dropped"] == 3
    assert builder.info.metadata["per_class"] == 6


def test_unambiguous_balanced_shrinks_every_class_to_the_smallest():
    lists = {"en": ["one", "two", "three", "shared"], "fr": ["un", "shared"]}
    examples, stats = unambiguous_balanced(lists, per_class=10)
    assert examples == [("one", "en"), ("un", "fr")]
    assert stats == {"ambiguous_dropped": 1, "per_class": 1}
