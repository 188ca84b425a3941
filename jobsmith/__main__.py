"""``python -m jobsmith`` is the ``jobsmith`` command."""

from jobsmith.cli import main

main()
