"""TaskFlow's ``taskflow.patterns.unordered_flow``::

from jobsmith.flow.patterns import unordered_flow

unordered_flow.Flow("name")  # a :class:`jobsmith.flow.UnorderedFlow`
"""

from __future__ import annotations

from jobsmith.flow.patterns import UnorderedFlow as Flow

__all__ = ["Flow"]
