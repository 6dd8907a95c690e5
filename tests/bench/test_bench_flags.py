"""`bench.cells` and `bench.data` refuse flags they cannot use before any
work: argparse's usage error, exit 2, naming the flag."""

import pytest

from bench import cells, data


def refused(parse, argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_cells_refuses_a_size_a_cell_cannot_take_and_no_cells(capsys):
    # before: a ValueError traceback from the Clockwork cell after TF started
    err = refused(cells.parse_args, ["--units", "6", "--cells", "ClockworkCell"], capsys)
    assert "error: --units 6: `units` must be a multiple of the number of modules (4)" in err
    # before: '' timed the Keras peers only, silently
    err = refused(cells.parse_args, ["--cells", ""], capsys)
    assert "error: --cells: give at least one of ElmanCell" in err


@pytest.mark.parametrize("argv,message", [
    (["--batches", "0"], "--batches: expected 1 or more, got 0"),  # was a ZeroDivisionError
    (["--batches", "-3"], "--batches: expected 1 or more, got -3"),  # hung
    (["--preset", "bogus"], "--preset: invalid choice: 'bogus'"),
])
def test_data_refuses_bad_counts_and_presets(argv, message, capsys):
    assert message in refused(data.main, argv, capsys)


def test_data_refuses_a_file_as_work_dir(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("mine\n", encoding="utf-8")
    err = refused(data.main, ["--tasks", "forecast", "--work-dir", str(path)], capsys)
    assert err.endswith(f"error: --work-dir {path}: not a directory")
    assert path.read_text(encoding="utf-8") == "mine\n"
