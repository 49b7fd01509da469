"""`python -m refundable` runs the CLI."""

from refundable.entrypoints.cli import main

main()
