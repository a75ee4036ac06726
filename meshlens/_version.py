"""The one place meshlens' version is written (pyproject reads it via hatch; ``meshlens --version`` prints it)."""

__version__ = "0.1.0"
