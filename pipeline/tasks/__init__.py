"""The tasks: one folder a task, `pipeline/tasks/<name>/`, holding all of
that task's code (configuration schema and presets, data, tf.data inputs,
serving module, evaluation, plots, search space) and its README.

`pipeline.core.task` finds them by their folders and states the contract
each one implements (`Task`).
"""
