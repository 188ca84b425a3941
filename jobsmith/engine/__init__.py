"""The one dependency-graph engine under goal graphs (:mod:`jobsmith.graph`) and flows
(:mod:`jobsmith.flow`).

Build :class:`Node` objects (a name, dependencies by name, tries, a minimum delay between
tries, and a factory of the :class:`Step` of each try), put them in a :class:`Plan`
(checked, ordered, cycles refused with the cycle named), and give the plan to an
:class:`Engine`: :meth:`~Engine.converge` for goal graphs, :meth:`~Engine.run_or_revert`
for flows. :class:`Listener` objects hear every phase, try, revert and the run's end; the
run log (:class:`RunLogRecorder`) and the console are listeners.
"""

from __future__ import annotations

from jobsmith.engine.dag import Plan, dependency_order, find_cycle
from jobsmith.engine.events import Listener
from jobsmith.engine.executor import Engine, NotRunInDryRun
from jobsmith.engine.model import (
    Decision,
    Node,
    NodeReport,
    Outcome,
    Phase,
    Report,
    Scope,
    Step,
)

__all__ = [
    "Decision",
    "Engine",
    "Listener",
    "Node",
    "NodeReport",
    "NotRunInDryRun",
    "Outcome",
    "Phase",
    "Plan",
    "Report",
    "Scope",
    "Step",
    "dependency_order",
    "find_cycle",
]
