"""The synthetic task: long-range benchmarks against the memoryless baseline.

Three problems at a chosen length T (`dataset`): the adding problem
(many-to-one regression, test MSE), the copy task and per-step parity
(synced many-to-many tagging, per-step accuracy). Each metric comes with
the memoryless baseline measured on the same test set (`evaluation`).
Models: any cell of `models.cells.CELLS` in a `RecurrentNetwork`, or a
causal `TransformerNetwork` (`model.cell=transformer`). There is no serving
export: these are benchmarks. See this folder's README.md.
"""
