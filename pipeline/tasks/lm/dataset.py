"""The LM task's embedded data: `pydoc_text`, the English text bundled with
CPython, as a TFDS builder."""

import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS, positional_bounds


def load_pydoc_text():
    """CPython's help topics (`pydoc_data.topics`), in sorted topic order,
    separated by blank lines: about 0.8 MB of English prose and code."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"


class PydocText(tfds.core.GeneratorBasedBuilder):
    """Character language-model text from `pydoc_data.topics`.

    One example per split with feature `text`. Split by position
    (docs/architecture.md section 3): the last 5% of the characters is
    test, the 5% before it validation, the rest train, so the model is
    scored on text that follows what it learnt from.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release, from CPython's pydoc_data."}
    source = staticmethod(load_pydoc_text)

    def _info(self):
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict({"text": tfds.features.Text()}),
            homepage="https://docs.python.org/3/library/pydoc.html",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        text = self.source()
        bounds = positional_bounds(len(text))
        self.info.metadata.update(characters=len(text), bounds=bounds)
        return {split: self._generate_examples(split, text[slice(*bounds[split])])
                for split in SPLITS}

    def _generate_examples(self, split, text):
        yield split, {"text": text}
