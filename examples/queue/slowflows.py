"""A flow whose second task takes a while (for cancel_flow.py); workers import it."""

import time

from jobsmith.flow import LinearFlow, Task


class Reserve(Task):
    default_provides = "reservation"

    def execute(self, order):
        print(f"reserve stock for order {order}")
        return f"R-{order}"

    def revert(self, order, result, **kwargs):
        print(f"release {result}")


class Ship(Task):
    def execute(self, order, reservation):
        print(f"shipping order {order} ({reservation}) ...", flush=True)
        for _ in range(600):  # a minute, in short sleeps: a cancel interrupts it
            time.sleep(0.1)

    def revert(self, order, result, **kwargs):
        # the task was interrupted: its result is the failure (JobCancelled here)
        print(f"stop shipping order {order}: {type(result.exception).__name__}")


def order_flow():
    return LinearFlow("order").add(Reserve("reserve"), Ship("ship"))
