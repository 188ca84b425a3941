"""A jobrunner flow: tasks with execute/revert, a factory, a poster (post_job)."""

from logging import getLogger

from jobsmith import post_job
from jobsmith.flow import LinearFlow, Task, Times

log = getLogger(__name__)


class Task1(Task):
    def execute(self, message):
        log.info("Printing the message from the store: %s", message)
        print(f"flow says: {message}")


def my_flow_factory(attempts):
    flow = LinearFlow("flow_1", retry=Times(attempts))
    flow.add(Task1("task_1_task_name"))
    return flow


def run_my_flow(attempts):
    return post_job(
        my_flow_factory,
        store={"message": "This is the message from the store"},
        factory_args=(attempts,),
    )
