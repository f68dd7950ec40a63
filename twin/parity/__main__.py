"""Entry point: `python -m twin.parity record|check|diff|list`."""

import sys

from twin.parity.cli import main

sys.exit(main())
