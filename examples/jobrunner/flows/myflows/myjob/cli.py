# The jobrunner seed's cli.py; the imports changed (jobrunner.* -> jobsmith), and the seed's
# typo parse_webserver_arguments is spelled parse_myjob_arguments as defined above it.
from argparse import ArgumentParser

from flows.myflows.myjob.post import run_my_flow
from flows.myflows.myjob.post import my_flow_factory  # noqa: F401  (as in the seed)
from jobsmith import parse_arguments
from jobsmith import register_job


def parse_myjob_arguments(args=None):
    parser = ArgumentParser()
    parser.add_argument("--attempts", "-a", type=int, default=10)
    return parse_arguments(parser, args=args)


@register_job()
def the_name_of_your_job(args=None):
    args = parse_myjob_arguments(args=args)
    run_my_flow(args.attempts)
