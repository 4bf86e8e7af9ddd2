"""``python -m operando``: the same command line as ``operando``."""

from .cli import main

main()
