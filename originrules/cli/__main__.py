"""`python -m originrules.cli ARGS`: the originrules command, as the console script runs it."""

from originrules.cli import run

run()
