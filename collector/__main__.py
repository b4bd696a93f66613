"""`python -m collector` = `schoolnet collector serve` (for hosts that install only the collector)."""

from agent.cli import main

if __name__ == "__main__":
    import sys

    sys.argv = ["schoolnet", "collector", "serve", *sys.argv[1:]]
    main()
