"""The load suite's own arguments: `python tests/load/show_arguments.py`.

`locust --help` prints its help before it loads a locustfile, so it cannot list the arguments the
suite adds; this prints them with Locust's own parser, exactly as `add_arguments` declares them.
"""

import sys
from pathlib import Path

from locust.argument_parser import LocustArgumentParser  # first: Locust monkey-patches ssl on import

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `fixtures`; this folder is sys.path[0]

from loadsuite.options import add_arguments


def main() -> None:
    parser = LocustArgumentParser(
        prog="locust -f tests/load/locustfile.py",
        description="Arguments of the load suite, next to Locust's own (locust --help). "
        "The web UI shows them under 'Custom parameters', except those marked CLI-only in docs/load.md.",
    )
    add_arguments(parser)
    parser.print_help()


if __name__ == "__main__":
    main()
