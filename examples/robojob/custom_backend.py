"""robojob, "Implementing custom tasks": a backend told about every job and task.

The run log is still written to the configured store; the backend is called beside it.
"""

import logging

import jobsmith

logging.basicConfig(level="WARNING", format="[%(levelname)s] %(message)s")


class PrintingBackend:
    def before_job_execution(self, job_execution):
        print(f"job {job_execution.job_name} starting")

    def before_task_execution(self, job_execution, task_execution):
        print(f"task {task_execution.name} starting with {task_execution.parameters}")

    def after_task_execution(self, job_execution, task_execution):
        print(f"task {task_execution.name} ended: {task_execution.status}")

    def after_job_execution(self, job_execution):
        print(f"job {job_execution.job_name} ended: {job_execution.status}")


def greet(name):
    print(f"Hello, {name}!")


def check_inbox(ctx):
    ctx.exit("Skipped")  # nothing to do: the task and the job end Skipped, not Failed


with jobsmith.go(job_name="hello", backend=PrintingBackend()) as ctx:
    ctx.execute(greet, name="world")
    ctx.execute(check_inbox, ctx=ctx)
    print("not reached")
