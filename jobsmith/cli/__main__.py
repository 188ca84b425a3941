"""``python -m jobsmith.cli`` is the ``jobsmith`` command."""

from jobsmith.cli import main

main()
