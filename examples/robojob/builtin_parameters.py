"""robojob tutorial, "Built-in parameters": asked for by name, and read-only."""

import jobsmith


def greet(name, job_execution_guid):
    print(f"Hello from job {job_execution_guid}, {name}!")


with jobsmith.go(job_name="hello", parameters={"name": "world"}) as ctx:
    ctx["job_execution_guid"] = ""  # ignored, with a warning
    ctx.execute(greet)
