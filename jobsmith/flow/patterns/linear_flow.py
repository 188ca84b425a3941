"""TaskFlow's ``taskflow.patterns.linear_flow``::

from jobsmith.flow.patterns import linear_flow

linear_flow.Flow("name")  # a :class:`jobsmith.flow.LinearFlow`
"""

from __future__ import annotations

from jobsmith.flow.patterns import LinearFlow as Flow

__all__ = ["Flow"]
