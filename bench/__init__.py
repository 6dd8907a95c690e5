"""Benchmarks of rnnlab, run as modules (`python -m bench.cells`); not part of
the installed package."""
