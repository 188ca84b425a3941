"""What a scheduler tells the job processes it starts, as ``JOBSMITH_*`` variables.

One definition for both sides: :class:`EntryRunner <jobsmith.schedule.execute.EntryRunner>`
writes it with :meth:`JobProcessValues.environ`, a job's ``job.py``
(:class:`~jobsmith.schedule.job.Job`) reads it with :meth:`JobProcessValues.read`. Scripts
in any language read the variables themselves (docs/schedule.md lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

__all__ = ["JobProcessValues"]


@dataclass(frozen=True)
class JobProcessValues:
    """The run a job process belongs to; each field is the variable ``JOBSMITH_<FIELD>``."""

    store: str
    """The store URL the scheduler uses (``go()`` in the job logs to the same store)."""
    schema: str
    home: str
    """The scheduler's home folder."""
    trigger: str
    """The planned time as a wall time in the schedule's zone (``2019-01-01/08:00:00``)."""
    trigger_utc: str
    """The same instant in ISO 8601, UTC."""
    job_id: str
    job_name: str
    job_description: str
    persons: str
    """Who gets the job's alarms, comma-separated."""
    run_id: str
    """The job run in the run log the scheduler started for this run."""
    run_log: str
    """The run's log file (the scheduler writes the process's output there)."""

    @staticmethod
    def variable(name: str) -> str:
        return f"JOBSMITH_{name.upper()}"

    def environ(self) -> dict[str, str]:
        """The variables to add to the job process's environment."""
        return {self.variable(f.name): str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> JobProcessValues | None:
        """The values a scheduler (or ``jobsmith run job``) passed to this process, or
        None when it was started some other way (``python jobs/0/job.py``)."""
        if cls.variable("run_log") not in environ:
            return None
        return cls(**{f.name: environ.get(cls.variable(f.name), "") for f in fields(cls)})
