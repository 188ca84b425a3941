"""runner's [LOG] limit_by_day, limit_by_size and max_size on the scheduler's log file."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.clock import ManualClock
from jobsmith.errors import ConfigError
from jobsmith.schedule.home import Home
from jobsmith.schedule.schedulerlog import SchedulerLog


def logger_with(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"test.rotation.{id(handler)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger


def test_a_new_file_when_the_clocks_day_changes(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2018, 12, 31, 23, 59, 58, tzinfo=UTC))
    path = tmp_path / "logs" / "scheduler.log"
    log = logger_with(SchedulerLog(path, clock, UTC, by_day=True))
    log.info("old year")
    clock.advance(seconds=3)
    log.info("new year")
    assert path.read_text() == "2019-01-01 00:00:01|INFO|new year\n"
    rolled = tmp_path / "logs" / "scheduler_20181231235958.log"
    assert rolled.read_text() == "2018-12-31 23:59:58|INFO|old year\n"


def test_no_new_file_by_day_when_limit_by_day_is_off(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2018, 12, 31, 23, 59, 58, tzinfo=UTC))
    path = tmp_path / "scheduler.log"
    log = logger_with(SchedulerLog(path, clock, UTC, by_day=False))
    log.info("old year")
    clock.advance(timedelta(days=2))
    log.info("new year")
    assert len(path.read_text().splitlines()) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["scheduler.log"]


def test_a_new_file_when_max_size_is_reached(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2019, 1, 1, 8, 0, tzinfo=UTC))
    path = tmp_path / "scheduler.log"
    log = logger_with(SchedulerLog(path, clock, UTC, by_day=False, max_size=100))
    for number in range(5):  # 40 bytes a line: two lines a file
        log.info(f"line {number:02} ................")
        clock.advance(seconds=1)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        "scheduler.log",
        "scheduler_20190101080000.log",
        "scheduler_20190101080002.log",
    ]
    assert all(p.stat().st_size <= 100 for p in tmp_path.iterdir())
    assert "line 04" in path.read_text()


def test_the_log_options_are_read_from_config_ini(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text(
        "[LOG]\nlimit_by_day = False\nlimit_by_size = True\nmax_size = 2048\n"
    )
    settings = Home.load(tmp_path).settings
    assert (settings.limit_by_day, settings.limit_by_size, settings.max_size) == (False, True, 2048)
    (tmp_path / "config.ini").write_text("[LOG]\nmax_size = ten megabytes\n")
    with pytest.raises(
        ConfigError, match=r"\[LOG\] max_size = 'ten megabytes': expected a number of bytes"
    ):
        Home.load(tmp_path)
