"""TaskFlow's ``taskflow.patterns.graph_flow``::

from jobsmith.flow.patterns import graph_flow

graph_flow.Flow("name")  # a :class:`jobsmith.flow.GraphFlow`
"""

from __future__ import annotations

from jobsmith.flow.patterns import GraphFlow as Flow

__all__ = ["Flow"]
