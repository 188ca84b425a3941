# The jobrunner seed's tasks.py; only the import changed (taskflow.task -> jobsmith.flow.task).
from logging import getLogger
from subprocess import check_call  # noqa: F401  (as in the seed)

from jobsmith.flow.task import Task

log = getLogger(__name__)


class Task1(Task):
    def execute(self, message):
        log.info("Printing the message from the store: {}".format(message))

    def revert(*args, **kwargs):
        # Not implemented, this example has nothing to revert
        # You can completely omit the revert method if you want
        # in that case.
        pass
