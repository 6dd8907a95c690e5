"""Task-agnostic data plumbing: splits, user-file sources, the TFDS catalog,
vocabularies, tf.data transforms and the builders of the embedded data."""
