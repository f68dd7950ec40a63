"""`python -m twin.iam.controlplane --port 0`: the twin's control plane with moto's IAM enforcement corrected.

The supervisor runs this instead of `python -m twin.controlplane` under `twin up --enforce-iam`; everything else
(READY line, signals, exit codes) is the control plane's own.
"""

from __future__ import annotations

import sys

from twin.controlplane.__main__ import main as controlplane_main


def main(argv: list[str] | None = None) -> int:
    from twin.controlplane.patches._guard import MotoMismatch

    try:
        from twin.iam import moto_auth
    except MotoMismatch as exc:
        print(f"python -m twin.iam.controlplane: {exc}; install the pinned moto (make setup)", file=sys.stderr)
        return 1
    moto_auth.apply()
    return controlplane_main(argv)


if __name__ == "__main__":
    sys.exit(main())
