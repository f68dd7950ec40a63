"""Entry point: `python -m twin up|down|status`."""

import sys

from twin.cli import main

sys.exit(main())
