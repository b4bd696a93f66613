"""`python -m agent` is the same as the `schoolnet` command."""

from agent.cli import main

main()
