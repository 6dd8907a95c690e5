"""The engine: the Task contract and registry, the configuration schema, the
shared parser, training, distribution, run directories, export, atomic writes
and errors. It names no task."""
