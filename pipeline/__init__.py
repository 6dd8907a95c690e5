"""rnnlab pipelines: tf.data input pipelines, dataset builders and the stage
scripts (`python -m pipeline.<stage>`)."""
