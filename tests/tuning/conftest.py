"""Shared data of the tuning tests: the prepared vocabularies of the
session's lexicon (`tests/conftest.py`)."""

import pytest


@pytest.fixture(scope="session")
def prepared(lexicon, tmp_path_factory):
    """A directory holding the prepare stage's output for `lexicon`."""
    from pipeline import prepare

    run_dir = str(tmp_path_factory.mktemp("prepared"))
    prepare.prepare("g2p", data=lexicon, run_dir=run_dir)
    return run_dir

