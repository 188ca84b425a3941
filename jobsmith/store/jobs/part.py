"""What every part of the queue's repository shares: the connector and the queries."""

from __future__ import annotations

from jobsmith.store.base import Connector
from jobsmith.store.sql import Queries, load


class QueuePart:
    """A part of :class:`~jobsmith.store.jobs.JobRepository`: one concept's statements,
    run through the store's connector. Every query has one name and one set of values on
    both databases; only its SQL differs (``queries/queue.sql``)."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)
