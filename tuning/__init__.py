"""Hyperparameter search with keras-tuner (docs/architecture.md sections 1 and 2).

- `tuning.hypermodel`: `TaskHyperModel`, the one HyperModel of every task:
  it searches the task's `search_space` (in the task's folder) over its
  configuration, and trains and scores a trial as the stages train and
  score it, through the `pipeline.core.task.Task` contract;
- `tuning.tuners`: random search, Hyperband and Bayesian optimisation with
  resumable state, distributed over one chief and N workers;
- `tuning.liveness`: worker heartbeats and the chief's lease on each trial,
  so a worker that dies mid-trial has its trial retried, not lost;
- `tuning.summary`: the table and plot of a search;
- `python -m tuning.search`: the command.

`tuning` builds on `pipeline` and `models`; neither imports it.
"""
