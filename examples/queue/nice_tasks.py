"""JobMaster's "simple example", on jobsmith: only the import changed.

(JobMaster's README writes `process_limit=3` for baz; jobsmith reads it as process_units.
A dependency that must be posted needs all its task's required arguments: bar's
Dependency(foo, 6, file_path=same) gives no `number`, so a foo job with that file_path
must be queued or done already, or bar fails saying so.)
"""

from jobsmith import Dependency, same, task


@task
def foo(file_path: str, number: int):
    with open(file_path, "w") as f:
        f.write(str(number))


@task(dependencies=Dependency(foo, 6, file_path=same))
def bar(file_path: str, number: int, letter: ["A", "B", "C"] = "A"):  # noqa: F821 (options)
    with open(file_path) as f:
        _n = int(f.read())

    with open(file_path, "w") as f:
        f.write(f"{number + _n}{letter}")


@task(
    process_limit=3,
    dependencies=[
        Dependency(foo, 2, number=10, file_path=same),
        Dependency(bar, 2, file_path=same),
    ],
)
def baz(file_path: str):
    with open(file_path) as f:
        s = f.read()
    print(f"baz read {s!r} from {file_path}")


@task(write_all=["b"], priority=5)
def fan(a: int, b: [1, 2, 3]):  # a select-from parameter: the options as the hint
    print(f"fan a={a} b={b}")
