"""robojob's import path: ``from jobsmith.task_execution import TaskExecution`` keeps working."""

from jobsmith.tasks.base import FunctionExecution, TaskExecution

__all__ = ["FunctionExecution", "TaskExecution"]
