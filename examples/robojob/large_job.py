"""robojob, "Managing large jobs": tasks ask for the built-in job name."""

import jobsmith


def task_a(job_name):
    print(f"{job_name} doing task A")


def task_b(job_name):
    print(f"{job_name} doing task B")


with jobsmith.go(job_name="Job 1") as ctx:
    ctx.execute(task_a)
    ctx.execute(task_b)
