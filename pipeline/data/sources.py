"""Readers of user data files for `--data PATH` (docs/architecture.md section 3).

One function per format, each returning plain Python / NumPy data:

- `read_g2p_tsv`: `word<TAB>phonemes` lines -> `{word: [pronunciation, ...]}`.
- `read_text`: UTF-8 text for the language model -> `str`.
- `read_labelled`: TSV or CSV `text,label` rows -> `[(text, label), ...]`.
- `read_series_csv`: CSV with a header and a value column -> float64 array.

Any bad input raises `pipeline.core.errors.DataError` naming the file and, where
one line is at fault, its 1-based line number; a reader returns everything
or raises, never a partial result. Files are read as bytes and decoded line
by line, so a file that is not UTF-8 is reported at the line that fails. A
UTF-8 byte-order mark at the start (as Excel writes) is dropped.
"""

import csv
import math
import re
from pathlib import Path

import numpy as np

from pipeline.core.errors import DataError

PHONEME = re.compile(r"[A-Z]+[0-2]?")
G2P_EXPECTED = "expected lines 'word<TAB>phonemes', e.g. 'hello<TAB>HH AH0 L OW1'"
MIN_SERIES_VALUES = 3


def _count(number, noun):
    """`"1 column"`, `"3 columns"`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _read_lines(path, expected):
    """The decoded lines of a file, line endings kept, BOM dropped.

    Args:
        path: The file to read.
        expected: What the file should hold, for the empty-file message.

    Returns:
        A non-empty list of `str` lines; line `i` of the file is item `i - 1`.

    Raises:
        DataError: The path is missing, a directory or unreadable, the file
            is empty, or a line is not valid UTF-8 (with its line number).
    """
    file = Path(path)
    if file.is_dir():
        raise DataError(path, "is a directory; expected a file")
    if not file.exists():
        raise DataError(path, "no such file")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror or error}") from None
    if not data:
        raise DataError(path, f"empty file; {expected}")
    lines = []
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            message = (
                f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
                "expected a UTF-8 text file"
            )
            raise DataError(path, message, line=number) from None
    lines[0] = lines[0].removeprefix("\ufeff")
    return lines


def _parse_g2p_line(path, number, line):
    """`(word, pronunciation)` from one `word<TAB>phonemes` line.

    Raises:
        DataError: Wrong column count, empty word or phonemes, or a token
            that is not ARPAbet.
    """
    columns = line.rstrip("\r\n").split("\t")
    if len(columns) == 1:
        raise DataError(path, f"no tab; {G2P_EXPECTED}", line=number)
    if len(columns) > 2:
        message = f"{len(columns)} tab-separated columns; {G2P_EXPECTED}"
        raise DataError(path, message, line=number)
    word, tokens = columns[0].strip().lower(), columns[1].split()
    if not word:
        raise DataError(path, f"empty word; {G2P_EXPECTED}", line=number)
    if not tokens:
        raise DataError(path, f"no phonemes for {word!r}; {G2P_EXPECTED}", line=number)
    for token in tokens:
        if not PHONEME.fullmatch(token):
            message = (
                f"bad phoneme {token!r} for {word!r}; expected ARPAbet tokens, "
                "upper-case letters with an optional stress digit 0-2, e.g. 'AH0'"
            )
            raise DataError(path, message, line=number)
    return word, " ".join(tokens)


def read_g2p_tsv(path):
    """Reads a pronunciation dictionary of `word<TAB>phonemes` lines.

    Words are stripped and lower-cased; phonemes are space-separated ARPAbet
    tokens (`[A-Z]+[0-2]?`). A word may appear on several lines, one per
    pronunciation. Blank lines and lines starting with `#` are skipped.

    Args:
        path: The TSV file.

    Returns:
        `{word: [pronunciation, ...]}` in first-seen order, each
        pronunciation a single-space-separated string such as
        `"HH AH0 L OW1"`, exact duplicates dropped.

    Raises:
        DataError: Missing or unreadable file, non-UTF-8 bytes, a malformed
            line (with its number), or no entries at all.
    """
    entries = {}
    for number, line in enumerate(_read_lines(path, G2P_EXPECTED), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, pronunciation = _parse_g2p_line(path, number, line)
        prons = entries.setdefault(word, [])
        if pronunciation not in prons:
            prons.append(pronunciation)
    if not entries:
        raise DataError(path, f"no entries; {G2P_EXPECTED}")
    return entries


def read_text(path):
    """Reads UTF-8 text for the character language model.

    Line endings are normalised to `\\n`, as Python's text mode does.

    Args:
        path: The text file.

    Returns:
        The whole text as one `str`.

    Raises:
        DataError: Missing or unreadable file, non-UTF-8 bytes (with the line
            number), or a file that is empty or only whitespace.
    """
    lines = _read_lines(path, "expected UTF-8 text")
    text = "".join(lines).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DataError(path, "only whitespace; expected UTF-8 text")
    return text


def _delimiter(path, lines):
    """Tab for `.tsv`, comma for `.csv`, else tab if the first non-blank line
    holds a tab."""
    suffix = Path(path).suffix.lower()
    if suffix in (".tsv", ".csv"):
        return "\t" if suffix == ".tsv" else ","
    first = next((line for line in lines if line.strip()), "")
    return "\t" if "\t" in first else ","


def _csv_rows(path, lines, delimiter):
    """Yields `(line_number, fields)` for each non-blank record.

    Comma-separated files follow the usual CSV quoting (strictly: a bad quote
    is an error, not silently mended); tab-separated fields are taken
    literally, quotes included, and cannot contain tabs.

    Raises:
        DataError: Malformed quoting, at the line where the record starts.
    """
    if delimiter == "\t":
        reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(lines, delimiter=",", strict=True)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = f"malformed row ({error})"
            if delimiter == ",":
                message += '; quote a field as "..." with inner quotes doubled'
            raise DataError(path, message, line=start) from None
        if len(fields) > 1 or (fields and fields[0].strip()):
            yield start, fields


def read_labelled(path):
    """Reads classification data: `text,label` rows as TSV or CSV.

    The delimiter is a tab for `.tsv`, a comma for `.csv`, and otherwise a
    tab if the first non-blank line contains one, else a comma. A first row
    `text<sep>label` (any case) is a header and skipped. Text and label are
    stripped of surrounding whitespace.

    Args:
        path: The TSV or CSV file.

    Returns:
        `[(text, label), ...]` in file order.

    Raises:
        DataError: Missing or unreadable file, non-UTF-8 bytes, a row without
            exactly 2 columns or with an empty text or label (with its line
            number), no rows, or fewer than 2 distinct labels.
    """
    lines = _read_lines(path, "expected rows 'text,label'")
    delimiter = _delimiter(path, lines)
    shown = "<TAB>" if delimiter == "\t" else ","
    expected = f"expected 2 columns 'text{shown}label'"
    rows = []
    for record, (number, fields) in enumerate(_csv_rows(path, lines, delimiter)):
        if record == 0 and [field.strip().lower() for field in fields] == ["text", "label"]:
            continue
        if len(fields) != 2:
            hint = "" if delimiter == "\t" else " (quote text that contains commas)"
            message = f"{_count(len(fields), 'column')}; {expected}{hint}"
            raise DataError(path, message, line=number)
        text, label = fields[0].strip(), fields[1].strip()
        if not text or not label:
            message = f"empty {'text' if not text else 'label'}; {expected}"
            raise DataError(path, message, line=number)
        rows.append((text, label))
    if not rows:
        raise DataError(path, f"no rows; {expected}")
    labels = {label for _, label in rows}
    if len(labels) < 2:
        message = f"only one label ({rows[0][1]!r}); expected at least 2 distinct labels"
        raise DataError(path, message)
    return rows


def _value_column(path, header_line, header, column):
    """The index of the value column in `header`, found on line `header_line`
    (see `read_series_csv`).

    Raises:
        DataError: `column` is given and not in the header.
    """
    names = [name.strip().lower() for name in header]
    wanted = "value" if column is None else column.strip().lower()
    if wanted in names:
        return names.index(wanted)
    if column is None:
        return len(header) - 1
    available = ", ".join(repr(name.strip()) for name in header)
    message = f"no column {column!r}; available columns: {available}"
    raise DataError(path, message, line=header_line)


def _parse_value(path, number, name, cell):
    """A float from one series cell; an empty cell (or `nan`) is NaN, missing.

    Raises:
        DataError: The cell is not a finite number.
    """
    if not cell.strip():
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        value = None
    if value is None or math.isinf(value):
        message = (
            f"column {name!r}: {cell.strip()!r} is not a finite number; "
            "expected a number, or an empty cell for a missing value"
        )
        raise DataError(path, message, line=number)
    return value


def read_series_csv(path, column=None):
    """Reads a time series: one column of a CSV file with a header row.

    The value column is `column` if given, else the column named `value`
    (names compare stripped and case-insensitively), else the last column
    (the only one, if there is one). Empty cells are missing values, NaN,
    for the caller to count and interpolate; blank lines are skipped (so in
    a one-column file a missing value needs a row such as `""`).

    Args:
        path: The CSV file (tab-separated if `.tsv`, or if its header holds
            a tab and its suffix is not `.csv`).
        column: Name of the value column, or None to choose as above.

    Returns:
        A 1-D `float64` array, one item per data row, NaN where missing.

    Raises:
        DataError: Missing or unreadable file, non-UTF-8 bytes, an unknown
            `column` (listing the available ones), a row whose column count
            differs from the header's or a non-numeric value (with its line
            number), or fewer than 3 values.
    """
    lines = _read_lines(path, "expected CSV with a header row and a value column")
    rows = _csv_rows(path, lines, _delimiter(path, lines))
    header_line, header = next(rows, (None, None))
    if header is None:
        raise DataError(path, "no header row; expected CSV with a header row and a value column")
    index = _value_column(path, header_line, header, column)
    name = header[index].strip()
    values = []
    for number, fields in rows:
        if len(fields) != len(header):
            message = (
                f"{_count(len(fields), 'column')}; expected {len(header)} as in the header "
                f"on line {header_line}"
            )
            raise DataError(path, message, line=number)
        values.append(_parse_value(path, number, name, fields[index]))
    series = np.array(values, dtype=np.float64)
    present = int(np.count_nonzero(~np.isnan(series)))
    if present < MIN_SERIES_VALUES:
        message = (
            f"only {_count(present, 'value')} in column {name!r}; "
            f"expected at least {MIN_SERIES_VALUES}"
        )
        raise DataError(path, message)
    return series
