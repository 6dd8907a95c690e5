"""TensorFlow Datasets builders for the embedded default data (DESIGN section 3).

Each builder reads only an installed package, never the network, and writes
versioned TFRecords split as `pipeline.data.splits` says. Importing this package
registers them with TFDS, so `tfds.builder("cmudict_g2p")` finds them.
"""

from pipeline.datasets.cmudict_g2p import CmudictG2p

__all__ = ["CmudictG2p"]
