"""tf.data input pipelines, one module a task, built from the small functions
of `pipeline.data.transforms`."""
