# The jobrunner seed's factory.py; only the imports changed.
from jobsmith.flow.patterns import linear_flow as lf
from jobsmith.flow.retry import Times

from flows.myflows.myjob.tasks import Task1


def my_flow_factory(attempts):
    f = lf.Flow(
        "flow_1",  # This will show up in `jobrunner show`
        # This Flow won't fail because we only log a message
        # But it is here to demonstrate the flow arg `attempts`.
        retry=Times(attempts),
    )
    f.add(
        Task1(
            "task_1_task_name"  # This will show up in `jobrunner show`
        )
    )
    return f
