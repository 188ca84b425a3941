"""schedule.tsv: runner's format read and written, and errors that name line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobsmith.errors import ScheduleError
from jobsmith.schedule.entries import CatchUp
from jobsmith.schedule.tsv import HEADER, ScheduleFile

ROW = "0\ttest\tTest Job\tpython\tC:\\runner\\jobs\\0\\job.py\t*\t*\t8\t0\t0\t\tN"


def write(tmp_path: Path, *lines: str) -> ScheduleFile:
    path = tmp_path / "schedule.tsv"
    path.write_text("\n".join(lines) + "\n")
    return ScheduleFile(path)


def test_the_seed_schedule_reads_as_written(tmp_path: Path) -> None:
    (entry,) = write(tmp_path, HEADER, ROW).read("UTC")
    assert (entry.id, entry.name, entry.description, entry.environment) == (
        0,
        "test",
        "Test Job",
        "python",
    )
    assert entry.file == "C:\\runner\\jobs\\0\\job.py" and entry.active is False
    assert entry.schedule.spec == "fields * * 8 0 0"
    assert entry.cells["STATUS"] == "N" and entry.where.endswith("schedule.tsv:2")


def test_no_header_means_the_seed_columns_and_comments_are_skipped(tmp_path: Path) -> None:
    entries = write(tmp_path, "# nightly jobs", "", ROW.replace("\tN", "\tY")).read("UTC")
    assert [(e.id, e.active) for e in entries] == [(0, True)]


def test_optional_columns(tmp_path: Path) -> None:
    header = HEADER + "\tCRON\tCATCHUP\tOVERLAP\tPERSONS"
    row = "1\tnightly\tNightly\tbash\tjobs/n.sh\t*\t*\t*\t*\t*\t--full 'a b'\tY\t0 2 * * 1-5\tall 6h 3\tbuffer-one\ta@x.org, b@x.org"
    (entry,) = write(tmp_path, header, row).read("UTC")
    assert entry.schedule.spec == "cron 0 2 * * 1-5"
    assert entry.catchup == CatchUp("all", 6 * 3600, 3)
    assert entry.overlap == "buffer-one" and entry.persons == ("a@x.org", "b@x.org")
    assert entry.arguments == ["--full", "a b"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (ROW.replace("\t8\t", "\t25\t"), ":2: column HOUR (column 8): '25': 25 is out of range; expected *, a number 0-23"),
        (ROW.replace("\tN", "\tmaybe"), ":2: column STATUS (column 12): 'maybe': expected Y (active) or N (inactive)"),
        (ROW.replace("0\ttest", "x\ttest", 1), ":2: column ID (column 1): 'x': expected a whole number"),
        (ROW.replace("\t", " "), ":2: 1 columns, expected 12 (ID NAME DESCRIPTION ENVIRONMENT FILE MONTH_DAY WEEK_DAY HOUR MINUTE SECOND PARAMETERS STATUS) (columns must be separated by tabs, not spaces)"),
        (ROW.replace("\t\tN", "\t'unclosed\tN"), ":2: column PARAMETERS (column 11): \"'unclosed\": No closing quotation"),
        (ROW.replace("\tpython\t", "\tpython\t\t"), ":2: 13 columns, expected 12"),
    ],
)  # fmt: skip
def test_a_bad_line_names_file_line_and_column(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        write(tmp_path, HEADER, line).read("UTC")
    assert f"schedule.tsv{message}" in str(caught.value)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    with pytest.raises(
        ScheduleError,
        match=r"schedule.tsv:3: column ID: job 0 is already defined at .*schedule.tsv:2",
    ):
        write(tmp_path, HEADER, ROW, ROW).read("UTC")


def test_cron_and_fields_cannot_both_be_set(tmp_path: Path) -> None:
    header = HEADER + "\tCRON"
    with pytest.raises(ScheduleError, match="column CRON: leave MONTH_DAY … SECOND empty or \\*"):
        write(tmp_path, header, ROW + "\t0 8 * * *").read("UTC")
    with pytest.raises(
        ScheduleError, match="column CRON: cron expression '0 8 \\* \\*' has 4 fields"
    ):
        write(tmp_path, header, ROW.replace("\t8\t0\t0", "\t*\t*\t*") + "\t0 8 * *").read("UTC")


def test_a_bad_header_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match=":1: header line: unknown WHEN"):
        write(tmp_path, HEADER + "\tWHEN", ROW).read("UTC")
    with pytest.raises(ScheduleError, match=":1: header line: missing STATUS"):
        write(tmp_path, HEADER.replace("\tSTATUS", ""), ROW).read("UTC")


def test_edits_keep_the_other_lines_and_end_with_a_newline(tmp_path: Path) -> None:
    file = write(tmp_path, HEADER, "# keep me", ROW)
    file.add({"ID": "1", "NAME": "b", "FILE": "b.sh", "MONTH_DAY": "*", "WEEK_DAY": "*", "HOUR": "*",
              "MINUTE": "*", "SECOND": "0", "STATUS": "Y", "OVERLAP": "allow"})  # fmt: skip
    assert file.update(0, {"STATUS": "Y"}) is True
    assert file.update(7, {"STATUS": "Y"}) is False
    text = file.path.read_text()
    assert text.endswith("\n") and "# keep me" in text
    assert text.splitlines()[0] == HEADER + "\tOVERLAP"
    assert [(e.id, e.active, e.overlap) for e in file.read("UTC")] == [
        (0, True, None),
        (1, True, "allow"),
    ]
    assert file.remove(0) is True and file.remove(0) is False
    assert [e.id for e in file.read("UTC")] == [1]


def test_catch_up_spelling() -> None:
    assert CatchUp.parse("latest 1d") == CatchUp("latest", 86400, 10)
    assert str(CatchUp.parse("all 90m 4")) == "all 1h30m 4"
    with pytest.raises(ScheduleError, match="expected none, latest or all"):
        CatchUp.parse("sometimes")


def test_a_new_schedule_file_gets_the_mode_of_the_umask(tmp_path: Path) -> None:
    """`create scheduler` writes schedule.tsv through a temporary file (0600): it gets the
    mode the umask gives, as config.ini does, and a later change keeps the user's mode."""
    import os
    import stat

    previous = os.umask(0o022)
    try:
        schedule = ScheduleFile(tmp_path / "schedule.tsv")
        assert schedule.create()
        (tmp_path / "config.ini").write_text("")
        mode = stat.S_IMODE((tmp_path / "schedule.tsv").stat().st_mode)
        assert mode == stat.S_IMODE((tmp_path / "config.ini").stat().st_mode) == 0o644
        os.chmod(tmp_path / "schedule.tsv", 0o640)
        schedule.add({"ID": "0", "NAME": "a", "FILE": "a.py"})
        assert stat.S_IMODE((tmp_path / "schedule.tsv").stat().st_mode) == 0o640
    finally:
        os.umask(previous)
