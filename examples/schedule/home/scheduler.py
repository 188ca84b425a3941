"""The scheduler of this folder: `python scheduler.py` (or `jobsmith scheduler`)."""

import jobsmith

scheduler = jobsmith.Scheduler()
scheduler.start()
