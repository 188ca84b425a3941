"""A jobrunner-style job plugin for the CLI tests: `jobsmith post myjob --attempts N`."""

from __future__ import annotations

from argparse import ArgumentParser

from jobsmith import parse_arguments, post_job, register_job


def parse_myjob_arguments(args: list[str] | None = None):  # type: ignore[no-untyped-def]
    parser = ArgumentParser(prog="jobsmith post myjob", description="Post the example flow.")
    parser.add_argument("--attempts", "-a", type=int, default=10, help="retries of the flow")
    parser.add_argument("--path", required=True, help="where the flow writes")
    return parse_arguments(parser, args=args)


@register_job()
def myjob(args: list[str] | None = None) -> None:
    options = parse_myjob_arguments(args=args)
    post_job(
        "tests.integration.queue_flows:my_flow_factory",
        store={"path": options.path, "message": "from the CLI"},
        factory_args=(options.attempts,),
    )
