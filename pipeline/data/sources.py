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

import array
import csv
import itertools
import math
from pathlib import Path

import numpy as np

from pipeline.core.errors import DataError

#: The ARPAbet phonemes of the CMU Pronouncing Dictionary: 15 vowels, each
#: with an optional stress digit 0-2, and 24 consonants
#: (http://www.speech.cs.cmu.edu/cgi-bin/cmudict, "Phoneme Set").
ARPABET_VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW",
                  "OY", "UH", "UW")
ARPABET_CONSONANTS = ("B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG",
                      "P", "R", "S", "SH", "T", "TH", "V", "W", "Y", "Z", "ZH")
ARPABET = frozenset((*ARPABET_VOWELS, *ARPABET_CONSONANTS,
                     *(f"{vowel}{stress}" for vowel in ARPABET_VOWELS for stress in "012")))
G2P_EXPECTED = "expected lines 'word<TAB>phonemes', e.g. 'hello<TAB>HH AH0 L OW1'"
MIN_SERIES_VALUES = 3


def _count(number, noun):
    """`"1 column"`, `"3 columns"`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _iter_lines(path, expected):
    """Yields the decoded lines of a file one at a time, line endings kept,
    BOM dropped, so a large file is never held in memory as Python strings.

    Args:
        path: The file to read.
        expected: What the file should hold, for the empty-file message.

    Yields:
        `str` lines; line `i` of the file is the `i`-th.

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
        handle = file.open("rb")
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror or error}") from None
    with handle:
        number = 0
        for number, raw in enumerate(_split_lines(handle), start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                message = (
                    f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at column "
                    f"{error.start + 1}); expected a UTF-8 text file"
                )
                raise DataError(path, message, line=number) from None
            yield line.removeprefix("\ufeff") if number == 1 else line
        if number == 0:
            raise DataError(path, f"empty file; {expected}")


def _split_lines(handle, chunk=1 << 16):
    """The lines of a binary file as `bytes.splitlines(keepends=True)` cuts
    them (at \\n, \\r\\n and \\r), read in chunks of `chunk` bytes."""
    rest = b""
    while True:
        data = handle.read(chunk)
        if not data:
            break
        lines = (rest + data).splitlines(keepends=True)
        rest = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        yield from lines
    if rest:
        yield rest


def _read_lines(path, expected):
    """The decoded lines of a file (`_iter_lines`) as a non-empty list."""
    return list(_iter_lines(path, expected))


def _parse_g2p_line(path, number, line, phones=ARPABET):
    """`(word, pronunciation)` from one `word<TAB>phonemes` line.

    Raises:
        DataError: Wrong column count, empty word or phonemes, or a token
            outside `phones` (None: any token).
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
        if phones is not None and token not in phones:
            message = (
                f"bad phoneme {token!r} for {word!r}; expected ARPAbet, the 39 phonemes "
                "of CMUdict with an optional stress digit 0-2 on vowels, e.g. 'AH0' "
                "(--set g2p.phones=any for another phone set)"
            )
            raise DataError(path, message, line=number)
    return word, " ".join(tokens)


def read_g2p_tsv(path, phones=ARPABET):
    """Reads a pronunciation dictionary of `word<TAB>phonemes` lines.

    Words are stripped and lower-cased; phonemes are space-separated tokens
    of `phones`, by default ARPAbet (`ARPABET`). A word may appear on
    several lines, one per pronunciation. Blank lines and lines starting
    with `#` are skipped.

    Args:
        path: The TSV file.
        phones: The phone set, a set of tokens, or None for any token.

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
        word, pronunciation = _parse_g2p_line(path, number, line, phones)
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

    The file is read a line at a time into a float64 buffer, so memory
    holds the values (8 bytes each) and never a Python object a value: a
    10-million-row file takes about its own size.

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
    lines = _iter_lines(path, "expected CSV with a header row and a value column")
    leading = []  # the blank lines up to the first non-blank one, which chooses the delimiter
    for line in lines:
        leading.append(line)
        if line.strip():
            break
    rows = _csv_rows(path, itertools.chain(leading, lines), _delimiter(path, leading))
    header_line, header = next(rows, (None, None))
    if header is None:
        raise DataError(path, "no header row; expected CSV with a header row and a value column")
    index = _value_column(path, header_line, header, column)
    name = header[index].strip()
    values = array.array("d")  # 8 bytes a value, no Python object each
    for number, fields in rows:
        if len(fields) != len(header):
            message = (
                f"{_count(len(fields), 'column')}; expected {len(header)} as in the header "
                f"on line {header_line}"
            )
            raise DataError(path, message, line=number)
        values.append(_parse_value(path, number, name, fields[index]))
    series = np.frombuffer(values, dtype=np.float64)  # a view of the buffer, no copy
    present = int(np.count_nonzero(~np.isnan(series)))
    if present < MIN_SERIES_VALUES:
        message = (
            f"only {_count(present, 'value')} in column {name!r}; "
            f"expected at least {MIN_SERIES_VALUES}"
        )
        raise DataError(path, message)
    return series
