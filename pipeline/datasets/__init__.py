"""TensorFlow Datasets builders for the embedded default data (DESIGN section 3).

Each builder reads only an installed package, never the network, and writes
versioned TFRecords split as `pipeline.data.splits` says. Importing this package
registers them with TFDS, so `tfds.builder("pydoc_text")` finds them.
"""

from pipeline.datasets.pydoc_text import PydocText
from pipeline.datasets.statsmodels_series import StatsmodelsSeries
from pipeline.datasets.wordfreq_langid import WordfreqLangid

__all__ = ["PydocText", "StatsmodelsSeries", "WordfreqLangid"]
