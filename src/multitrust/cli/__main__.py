"""``python -m multitrust.cli``."""

from multitrust.cli import main

main()
