"""Job 0 (test): run by the scheduler, by `jobsmith run job 0`, or directly:
`python job.py --trigger 2019-01-01/08:00:00`."""

import jobsmith

job = jobsmith.Job(__file__)

if __name__ == "__main__":
    job.start("script.py")
