"""Task kinds: one module each. :class:`TaskExecution` is the base every kind derives from."""

from jobsmith.tasks.base import FunctionExecution, TaskExecution

__all__ = ["FunctionExecution", "TaskExecution"]
