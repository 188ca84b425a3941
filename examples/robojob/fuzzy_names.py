"""robojob tutorial: parameter names match ignoring case and special characters."""

import jobsmith

with jobsmith.go(job_name="hello") as ctx:
    ctx["test value"] = "test"
    print(ctx["test_value"])
    print(ctx["@TestValue"])
    print(ctx["TEST VALUE"])
