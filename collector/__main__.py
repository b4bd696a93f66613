"""`python -m collector [options]` = `schoolnet-collector serve [options]` (hosts that install only the collector)."""

import sys

from collector.cli import main

if __name__ == "__main__":
    main(["serve", *sys.argv[1:]])
