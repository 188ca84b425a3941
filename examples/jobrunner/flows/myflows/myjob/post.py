# The jobrunner seed's post.py; only the imports changed (jobrunner.post_job -> jobsmith).
from flows.myflows.myjob.factory import my_flow_factory
from jobsmith import post_job


def run_my_flow(attempts):
    post_job(
        my_flow_factory,
        store={"message": "This is the message from the store"},
        factory_args=(attempts,),
    )
