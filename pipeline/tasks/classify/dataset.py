"""`wordfreq_langid`: words of ten languages, for language identification."""

import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS, keyed_split

LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "sv", "pl", "tr")


def load_wordfreq(languages=LANGUAGES, top_n=20000):
    """`{language: [word, ...]}`, each list the `top_n` most frequent words of
    the language in the installed `wordfreq` package, most frequent first."""
    import wordfreq

    return {lang: wordfreq.top_n_list(lang, top_n) for lang in languages}


def unambiguous_balanced(lists, per_class):
    """Word -> language with ambiguity removed and classes balanced.

    Keeps alphabetic words of at least two letters; a word that occurs in more
    than one language's list is dropped, not given two labels; then every
    language keeps its `per_class` most frequent remaining words (fewer, for
    all, if some language has fewer left).

    Returns:
        `(examples, stats)`: `examples` a list of `(word, language)`, and
        `stats` the counts of dropped ambiguous words and words per class.
    """
    seen = {}
    for lang, words in lists.items():
        for word in dict.fromkeys(w for w in words if w.isalpha() and len(w) >= 2):
            seen.setdefault(word, set()).add(lang)
    ambiguous = {w for w, langs in seen.items() if len(langs) > 1}
    kept = {
        lang: [w for w in dict.fromkeys(words) if w in seen and w not in ambiguous]
        for lang, words in lists.items()
    }
    size = min([per_class] + [len(words) for words in kept.values()])
    examples = [(w, lang) for lang, words in kept.items() for w in words[:size]]
    return examples, {"ambiguous_dropped": len(ambiguous), "per_class": size}


class WordfreqLangid(tfds.core.GeneratorBasedBuilder):
    """Which of ten languages a word belongs to, from `wordfreq` word lists.

    Features: `text` (one word) and `label` (en, fr, de, es, it, pt, nl, sv,
    pl, tr). Words that occur in more than one language's list are dropped;
    every language contributes its 5000 most frequent remaining words, so the
    classes are balanced. Split by crc32 of the word.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release, from the `wordfreq` package."}
    PER_CLASS = 5000
    source = staticmethod(load_wordfreq)

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {"text": tfds.features.Text(), "label": tfds.features.ClassLabel(names=LANGUAGES)}
            ),
            supervised_keys=("text", "label"),
            homepage="https://github.com/rspeer/wordfreq",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        examples, stats = unambiguous_balanced(self.source(), self.PER_CLASS)
        self.info.metadata.update(stats)
        by_split = {split: [] for split in SPLITS}
        for word, lang in sorted(examples):
            by_split[keyed_split(word)].append((word, lang))
        return {split: self._generate_examples(items) for split, items in by_split.items()}

    def _generate_examples(self, items):
        for word, lang in items:
            yield word, {"text": word, "label": lang}
