"""robojob, "Implementing custom tasks": a TaskExecution that downloads a file.

The seed downloads an xkcd comic; set XKCD_URL to fetch from somewhere else (the tests
serve the file from a local web server, since this machine has no internet).
"""

import logging
import os
import shutil

import requests

import jobsmith
from jobsmith.task_execution import TaskExecution

logging.basicConfig(level="DEBUG", format="[%(levelname)s] %(message)s")


class WebTask(TaskExecution):
    def bind_parameters(self, context_parameters):
        self.parameters["url"] = context_parameters["url"]
        self.parameters["filename"] = context_parameters["filename"]

    def execute(self):
        response = requests.get(self.parameters["url"], stream=True, timeout=30)
        response.raise_for_status()
        with open(self.parameters["filename"], "wb") as outfile:
            shutil.copyfileobj(response.raw, outfile)


with jobsmith.go(job_name="hello") as ctx:
    parameters = {
        "url": os.environ.get("XKCD_URL", "https://imgs.xkcd.com/comics/exploits_of_a_mom.png"),
        "filename": "exploits_of_a_mom.png",
    }
    ctx.process_task_execution(WebTask("XKCD"), local_parameters=parameters)
