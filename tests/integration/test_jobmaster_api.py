"""JobMaster's spelling: an SQLAlchemy engine or a URL, deploy(_reset=…), run(), process units."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

from jobsmith import JobMaster
from jobsmith.errors import JobsmithError
from jobsmith.queue import system_process_units
from jobsmith.queue.jobmaster import engine_url
from tests.conftest import StoreTarget
from tests.integration.queue_tasks import lines


def test_an_sqlalchemy_engine_names_the_store(target: StoreTarget, tmp_path: Path) -> None:
    if target.dialect == "postgresql":
        engine = sqlalchemy.create_engine(
            target.url.replace("postgresql://", "postgresql+psycopg://")
        )
    else:
        engine = sqlalchemy.create_engine(target.url)
    assert engine_url(engine) == target.url
    master = JobMaster(db_engine=engine, schema=target.schema, system_process_units=5)
    master.deploy(_reset=True)
    out = str(tmp_path / "out")
    master.insert_job("qt", "record", 1, {"path": out, "n": 4})
    stats = master.run()
    assert stats.completed == 1 and lines(out)[0].startswith("4 ")
    assert master["qt", "record"].name == "qt.record"
    master.deploy(reset=True)  # drops everything: the job is gone
    assert master.store.jobs.counts() == []
    master.close()
    engine.dispose()


def test_process_units_come_from_the_argument_then_the_environment() -> None:
    assert system_process_units(7, {}) == 7
    assert system_process_units(None, {"JOBSMITH_SYSTEM_PROCESS_UNITS": "1_000"}) == 1000
    assert system_process_units(None, {"JOBMASTER_SYSTEM_PROCESS_UNITS": "300"}) == 300
    both = {"JOBSMITH_SYSTEM_PROCESS_UNITS": "20", "JOBMASTER_SYSTEM_PROCESS_UNITS": "300"}
    assert system_process_units(None, both) == 20
    assert system_process_units(None, {}) == 10_000
    for bad in ("lots", "-5", ""):
        with pytest.raises(JobsmithError) as caught:
            system_process_units(None, {"JOBMASTER_SYSTEM_PROCESS_UNITS": bad})
        assert str(caught.value) == (
            f"JOBMASTER_SYSTEM_PROCESS_UNITS is {bad!r}: expected a whole number of process "
            "units (e.g. 10000)"
        )


@pytest.mark.parametrize("bad", ["abc", -5, 2.5, True, ""])
def test_a_bad_system_process_units_argument_is_refused_by_name(
    bad: object, tmp_path: Path
) -> None:
    # "abc" was a bare ValueError from int(); -5 made run() return [] without running anything
    with pytest.raises(JobsmithError) as caught:
        JobMaster(db_engine=f"sqlite:///{tmp_path / 'q.db'}", system_process_units=bad)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"system_process_units is {bad!r}: expected a whole number of process units (e.g. 10000)"
    )
    assert system_process_units(None, {}) == 10_000
    with pytest.raises(JobsmithError, match=r"^system_process_units is -1: "):
        system_process_units(-1, {})
    assert (
        JobMaster(db_engine=f"sqlite:///{tmp_path / 'q.db'}", system_process_units="1_000")._units
        == 1000
    )  # type: ignore[arg-type]


def test_an_unsupported_engine_is_a_clear_error() -> None:
    engine = sqlalchemy.create_engine("mysql+pymysql://root@127.0.0.1/test")
    with pytest.raises(Exception, match="mysql\\+pymysql:// is not supported"):
        engine_url(engine)
