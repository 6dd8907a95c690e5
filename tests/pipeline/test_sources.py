"""Tests of `pipeline.data.sources`: good files parse to the expected values, and
every bad input raises `DataError` naming the file and the exact line."""

import csv
import math
import re

import numpy as np
import pytest

from pipeline.core.errors import DataError
from pipeline.data.sources import read_g2p_tsv, read_labelled, read_series_csv, read_text


def write(tmp_path, name, content):
    """Writes `content` (str as UTF-8, or bytes) to `tmp_path / name`."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def raises_at(path, line, match=None):
    """Context manager: a DataError whose message starts with `path:line:`
    (or `path:` with no line number when `line` is None) and matches
    `match`."""
    where = f"{path}: " if line is None else f"{path}:{line}: "
    return pytest.raises(DataError, match="^" + re.escape(where) + ".*" + (match or ""))


# --- common: paths, encoding, empty files ---------------------------------

READERS = [read_g2p_tsv, read_text, read_labelled, read_series_csv]


@pytest.mark.parametrize("reader", READERS)
def test_missing_file(tmp_path, reader):
    path = tmp_path / "nope.txt"
    with raises_at(path, None, "no such file"):
        reader(path)


@pytest.mark.parametrize("reader", READERS)
def test_directory(tmp_path, reader):
    with raises_at(tmp_path, None, "is a directory"):
        reader(tmp_path)


@pytest.mark.parametrize("reader", READERS)
def test_empty_file(tmp_path, reader):
    path = write(tmp_path, "empty.csv", b"")
    with raises_at(path, None, "empty file; expected"):
        reader(path)


@pytest.mark.parametrize(
    ("reader", "name", "content", "line"),
    [
        (read_g2p_tsv, "d.tsv", b"ok\tOW1\n\xff\xfe\tAH0\n", 2),
        (read_text, "t.txt", b"first\nsecond\nthi\xe9rd\n", 3),
        (read_labelled, "l.csv", b"text,label\nhi,en\n\xc3(,fr\n", 3),
        (read_series_csv, "s.csv", b"value\n1\n2\n3\n4\xff\n", 5),
        (read_text, "u16.txt", "hello\n".encode("utf-16"), 1),
    ],
)
def test_not_utf8_names_the_line(tmp_path, reader, name, content, line):
    path = write(tmp_path, name, content)
    with raises_at(path, line, "not valid UTF-8"):
        reader(path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "d.tsv", "a\tAH0\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "open", refuse)
    with raises_at(path, None, "cannot read: Permission denied"):
        read_g2p_tsv(path)


def test_error_attributes(tmp_path):
    path = write(tmp_path, "d.tsv", "a\tAH0\nb AH0\n")
    with pytest.raises(DataError) as caught:
        read_g2p_tsv(str(path))
    assert (caught.value.path, caught.value.line) == (str(path), 2)


# --- g2p ------------------------------------------------------------------


def test_g2p_good(tmp_path):
    path = write(
        tmp_path,
        "dict.tsv",
        "# comment\n"
        "hello\tHH AH0 L OW1\n"
        "\n"
        "Tomato\tT AH0 M EY1 T OW2\r\n"
        "tomato\tT AH0  M AA1 T OW2\n"
        "TOMATO\tT AH0 M EY1 T OW2\n"  # exact duplicate after normalising
        "  read \t R IY1 D \n"
        "read\tR EH1 D\n",
    )
    assert read_g2p_tsv(path) == {
        "hello": ["HH AH0 L OW1"],
        "tomato": ["T AH0 M EY1 T OW2", "T AH0 M AA1 T OW2"],
        "read": ["R IY1 D", "R EH1 D"],
    }
    assert list(read_g2p_tsv(path)) == ["hello", "tomato", "read"]


def test_g2p_bom_is_dropped(tmp_path):
    path = write(tmp_path, "dict.tsv", "\ufeffhi\tHH AY1\n")
    assert read_g2p_tsv(path) == {"hi": ["HH AY1"]}


@pytest.mark.parametrize(
    ("content", "line", "match"),
    [
        ("hello\tHH AH0 L OW1\nworld W ER1 L D\n", 2, "no tab; expected lines 'word<TAB>phonemes'"),
        ("a\tAH0\nb\tB IY1\textra\n", 2, "3 tab-separated columns"),
        ("a\tAH0\n\n\t B IY1\n", 3, "empty word"),
        ("a\tAH0\n   \tB IY1\n", 2, "empty word"),
        ("# c\na\t  \n", 2, "no phonemes for 'a'"),
        ("a\tAH0\nb\tB iy1\n", 2, "bad phoneme 'iy1' for 'b'"),
        ("a\tAH0\nb\tB IY3\n", 2, "bad phoneme 'IY3'"),
        ("a\tAH0\r\nb\r\nc\tK\n", 2, "no tab"),
    ],
)
def test_g2p_bad_line(tmp_path, content, line, match):
    path = write(tmp_path, "dict.tsv", content)
    with raises_at(path, line, match):
        read_g2p_tsv(path)


@pytest.mark.parametrize("content", ["# only a comment\n", "\n\n  \n", "#a\tAH0\n"])
def test_g2p_no_entries(tmp_path, content):
    path = write(tmp_path, "dict.tsv", content)
    with raises_at(path, None, re.escape("no entries; expected lines 'word<TAB>phonemes'")):
        read_g2p_tsv(path)


# --- text -----------------------------------------------------------------


def test_text_good(tmp_path):
    path = write(tmp_path, "t.txt", "\ufeffCafé au lait\r\nsecond line\rthird\n\n")
    assert read_text(path) == "Café au lait\nsecond line\nthird\n\n"


@pytest.mark.parametrize("content", [" \n\t\n", "\n"])
def test_text_whitespace_only(tmp_path, content):
    path = write(tmp_path, "t.txt", content)
    with raises_at(path, None, "only whitespace"):
        read_text(path)


# --- labelled -------------------------------------------------------------


def test_labelled_csv_quoted_and_header(tmp_path):
    path = write(
        tmp_path,
        "data.csv",
        'Text,Label\n"hello, world",en\nbonjour,fr\n\n"two\nlines ""quoted""",de\n5" screen,en\n',
    )
    assert read_labelled(path) == [
        ("hello, world", "en"),
        ("bonjour", "fr"),
        ('two\nlines "quoted"', "de"),
        ('5" screen', "en"),
    ]


def test_labelled_tsv_literal_quotes_no_header(tmp_path):
    path = write(tmp_path, "data.tsv", '"Hi," she said, twice.\ten\nhallo\tde\n')
    assert read_labelled(path) == [('"Hi," she said, twice.', "en"), ("hallo", "de")]


@pytest.mark.parametrize(
    ("content", "delimiter_rows"),
    [
        ("\ntext\tlabel\na, b\tx\nc\ty\n", [("a, b", "x"), ("c", "y")]),
        ("a b,x\nc,y\n", [("a b", "x"), ("c", "y")]),
    ],
)
def test_labelled_sniffs_delimiter(tmp_path, content, delimiter_rows):
    path = write(tmp_path, "data.txt", content)
    assert read_labelled(path) == delimiter_rows


def test_labelled_header_only_skipped_on_first_row(tmp_path):
    path = write(tmp_path, "data.csv", "hi,en\ntext,label\n")
    assert read_labelled(path) == [("hi", "en"), ("text", "label")]


@pytest.mark.parametrize(
    ("name", "content", "line", "match"),
    [
        ("d.csv", "text,label\nhi,en\nhello world,en,extra\n", 3, "3 columns; expected 2"),
        ("d.csv", "hi,en\nno label here\nyo,fr\n", 2, "1 column; expected 2 columns 'text,label'"),
        ("d.tsv", "hi\ten\nno tab\nyo\tfr\n", 2, "expected 2 columns 'text<TAB>label'"),
        ("d.tsv", "hi\ten\n\ta\tb\n", 2, "3 columns"),
        ("d.csv", "hi,en\n  ,fr\n", 2, "empty text"),
        ("d.csv", "hi,en\nyo, \n", 2, "empty label"),
        ("d.csv", 'hi,en\n"a"b,fr\n', 2, "malformed row .*quote a field"),
        ("d.csv", 'hi,en\n"unterminated,fr\nmore,de\n', 2, "malformed row"),
        ("d.csv", 'hi,en\n"multi\nline",fr\nbad\n', 4, "1 column"),
        ("d.tsv", "hi\ten\n" + "x" * (csv.field_size_limit() + 1) + "\tfr\n", 2, "malformed row"),
    ],
)
def test_labelled_bad_row(tmp_path, name, content, line, match):
    path = write(tmp_path, name, content)
    with raises_at(path, line, match):
        read_labelled(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("text,label\n", "no rows"),
        ("\n\n", "no rows"),
        ("a,en\nb,en\n c , en \n", "only one label \\('en'\\); expected at least 2"),
    ],
)
def test_labelled_whole_file_errors(tmp_path, content, match):
    path = write(tmp_path, "d.csv", content)
    with raises_at(path, None, match):
        read_labelled(path)


# --- series ---------------------------------------------------------------


def test_series_value_column_with_gaps(tmp_path):
    path = write(
        tmp_path, "s.csv", "date,Value,other\n2020,1.5,x\n2021,,y\n2022, -2e1 ,z\n2023,4,w\n"
    )
    series = read_series_csv(path)
    assert series.dtype == np.float64
    assert series.shape == (4,)
    assert math.isnan(series[1])
    np.testing.assert_array_equal(series[[0, 2, 3]], [1.5, -20.0, 4.0])


def test_series_named_column(tmp_path):
    path = write(tmp_path, "s.csv", "a,b,value\n1,10,100\n2,20,200\n3,30,300\n")
    np.testing.assert_array_equal(read_series_csv(path, column="B"), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(read_series_csv(path), [100.0, 200.0, 300.0])


def test_series_only_and_last_column(tmp_path):
    only = write(tmp_path, "only.csv", "\ufeffco2\n315.7\n\n317.4\n316.1\n")
    np.testing.assert_array_equal(read_series_csv(only), [315.7, 317.4, 316.1])
    last = write(tmp_path, "last.csv", 'year,"sun, spots"\n1700,5\n1701,11\n1702,16\n')
    np.testing.assert_array_equal(read_series_csv(last), [5.0, 11.0, 16.0])


def test_series_tab_separated(tmp_path):
    path = write(tmp_path, "s.tsv", "t\tvalue\n1\t7\n2\t8\n3\t9\n")
    np.testing.assert_array_equal(read_series_csv(path), [7.0, 8.0, 9.0])


@pytest.mark.parametrize(
    ("content", "line", "match"),
    [
        ("t,value\n1,2\n2,abc\n3,4\n", 3, "column 'value': 'abc' is not a finite number"),
        ("t,value\n1,2\n2,3\n3,inf\n", 4, "'inf' is not a finite number"),
        ('t,value\n1,2\n2,"1,5"\n3,4\n', 3, "'1,5' is not a finite number"),
        ("t,value\n1,2\n2\n3,4\n", 3, "1 column; expected 2 as in the header on line 1"),
        ("\n\nt,value\n1,2\n2,3,4\n", 5, "on line 3"),
    ],
)
def test_series_bad_row(tmp_path, content, line, match):
    path = write(tmp_path, "s.csv", content)
    with raises_at(path, line, match):
        read_series_csv(path)


def test_series_unknown_column_lists_available(tmp_path):
    path = write(tmp_path, "s.csv", "\ndate,co2\n1,2\n2,3\n3,4\n")
    with raises_at(path, 2, "no column 'sunspots'; available columns: 'date', 'co2'"):
        read_series_csv(path, column="sunspots")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("value\n1\n2\n", "only 2 values in column 'value'; expected at least 3"),
        ("t,value\n1,1\n\n2,\n3,2\n", "only 2 values"),
        ("t,value\n1,\n2,\n3,\n4,\n", "only 0 values"),
        ("value\n", "only 0 values"),
        ("\n\n", "no header row"),
    ],
)
def test_series_too_few_values(tmp_path, content, match):
    path = write(tmp_path, "s.csv", content)
    with raises_at(path, None, match):
        read_series_csv(path)
