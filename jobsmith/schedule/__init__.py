"""The scheduler (runner): time expressions, the schedule file, fires claimed in the store."""

from __future__ import annotations

from jobsmith.schedule.expressions import Schedule

__all__ = ["Schedule"]
