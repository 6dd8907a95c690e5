"""Shared data of the G2P tests: the prepared vocabularies of the session's
lexicon (`tests/conftest.py`)."""

import pytest


@pytest.fixture(scope="session")
def prepared(lexicon, tmp_path_factory):
    """A directory holding the prepare stage's output for `lexicon`."""
    from pipeline.core import registry, rundir
    from pipeline.core.config import resolve

    run_dir = str(tmp_path_factory.mktemp("prepared"))
    rundir.prepare(registry.get("g2p"), run_dir, resolve("g2p", "quick"), data=lexicon)
    return run_dir

