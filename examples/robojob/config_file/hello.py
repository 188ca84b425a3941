"""robojob tutorial: the parameter comes from jobsmith.yml beside the script."""

import jobsmith


def greet(name):
    print(f"Hello, {name}!")


with jobsmith.go("hello") as ctx:
    ctx.execute(greet)
