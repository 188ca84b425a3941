"""Building scheduler homes for tests: a config.ini, a schedule.tsv and job scripts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jobsmith.schedule.entries import COLUMNS
from tests.conftest import StoreTarget

# A job that notes its pid and each trigger it ran for, says its words (PARAMETERS), and
# can be told to sleep or fail.
RECORDER = """#!/usr/bin/env bash
# usage: record.sh [--sleep S] [--fail] [WORD …] --trigger T
sleep_for=0; fail=0; words=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sleep) sleep_for="$2"; shift 2;;
    --fail) fail=1; shift;;
    --trigger) trigger="$2"; shift 2;;
    *) words+=("$1"); shift;;
  esac
done
here="$(dirname "$0")"
echo "$$" >> "$here/pids.txt"
echo "started $trigger (JOBSMITH_TRIGGER=$JOBSMITH_TRIGGER) words: ${words[*]}"
sleep "$sleep_for"
echo "$trigger" >> "$here/triggers.txt"
if [ "$fail" = 1 ]; then echo "failing on purpose" >&2; exit 3; fi
echo "done $trigger"
"""


def make_home(
    folder: Path,
    target: StoreTarget,
    scheduler: Mapping[str, str] | None = None,
    sections: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """A home whose store is the test's; ``scheduler`` adds [SCHEDULER] options."""
    folder.mkdir(parents=True, exist_ok=True)
    options = {
        "name": "scheduler",
        "timezone": "UTC",
        "grace": "5",
        "heartbeat": "1",
        **(scheduler or {}),
    }
    text = ["[SCHEDULER]", *(f"{k} = {v}" for k, v in options.items())]
    text += [
        "",
        "[ENVIRONMENT]",
        "bash = bash",
        "",
        "[STORE]",
        f"url = {target.url}",
        f"schema = {target.schema}",
    ]
    for name, values in (sections or {}).items():
        text += ["", f"[{name}]", *(f"{k} = {v}" for k, v in values.items())]
    (folder / "config.ini").write_text("\n".join(text) + "\n")
    (folder / "schedule.tsv").write_text("\t".join(COLUMNS) + "\n")
    recorder = folder / "jobs" / "record.sh"
    recorder.parent.mkdir(exist_ok=True)
    recorder.write_text(RECORDER)
    return folder


def add_job(
    folder: Path,
    entry_id: int,
    times: str = "* * * * *",
    parameters: str = "",
    status: str = "Y",
    **extra: str,
) -> None:
    """Add a recorder job to the home's schedule.tsv (``times``: the five fields)."""
    cells = {
        "ID": str(entry_id), "NAME": f"job{entry_id}", "DESCRIPTION": f"Job {entry_id}",
        "ENVIRONMENT": "bash", "FILE": "jobs/record.sh", "PARAMETERS": parameters, "STATUS": status,
    }  # fmt: skip
    cells.update(
        zip(("MONTH_DAY", "WEEK_DAY", "HOUR", "MINUTE", "SECOND"), times.split(), strict=True)
    )
    cells.update({k.upper(): v for k, v in extra.items()})
    from jobsmith.schedule.tsv import ScheduleFile

    ScheduleFile(folder / "schedule.tsv").add(cells)


def triggers(folder: Path) -> list[str]:
    path = folder / "jobs" / "triggers.txt"
    return path.read_text().split() if path.exists() else []
