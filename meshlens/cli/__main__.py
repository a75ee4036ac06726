"""``python -m meshlens.cli``: the ``meshlens`` command."""

from meshlens.cli import main

main()
