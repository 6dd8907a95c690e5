"""`--help` of the stage scripts: each flag's default shown once, and none
where there is nothing to show."""

import argparse

from pipeline.core import cli


def test_help_formatter_shows_a_default_only_where_it_tells_something():
    p = argparse.ArgumentParser(formatter_class=cli.HelpFormatter)
    p.add_argument("--need", required=True, help="required")
    p.add_argument("--maybe", help="optional, no default")
    p.add_argument("--many", action="append", default=[], help="repeatable")
    p.add_argument("--said", default="x", help="says it (default: x)")
    p.add_argument("--size", type=int, default=3, help="a size")
    p.add_argument("--flag", action="store_true", help="a switch")
    p.add_argument("--seed", type=int, default=0, help="a seed")
    text = " ".join(p.format_help().split())
    assert "(default: None)" not in text and "(default: [])" not in text
    assert "(default: False)" not in text
    assert text.count("(default: x)") == 1 and "a size (default: 3)" in text
    assert "a seed (default: 0)" in text
    assert "required (default" not in text


def test_stage_and_search_help_show_real_defaults_only():
    from tuning import search

    for p in (cli.parser("run", "run", strategy=True), search.parser()):
        text = " ".join(p.format_help().split())
        assert "(default: None)" not in text and "(default: [])" not in text
        assert "(default: quick)" in text
