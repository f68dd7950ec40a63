"""`python -m twin.faults`: see twin/faults/cli.py."""

import sys

from twin.faults.cli import main

sys.exit(main())
