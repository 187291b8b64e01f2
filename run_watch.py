#!/usr/bin/env python3
"""ESS tender watch command line. `python run_watch.py --help` lists the commands."""

import sys

from watch.cli import main

if __name__ == "__main__":
    sys.exit(main())
