"""Launching Debian's headless Chromium through playwright, with host names mapped to the local origin server.

Playwright drives the browser; this module only decides how: the system binary (never a downloaded
one), the quiet flags, a new empty profile, and --host-resolver-rules that send the SPA's host names to
127.0.0.1:<port>. When the API itself is on loopback, every other name is made unresolvable, so the
browser cannot reach anything but this machine.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
LAUNCH_TIMEOUT_MS = 60_000


def chromium_missing() -> str | None:
    """Why the browser checks cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (Debian package chromium; `make test` installs it)"
    try:
        import playwright.sync_api  # noqa: F401 - only probing that the package is importable
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolver_rules(hosts: list[str], port: int, *, loopback_only: bool) -> str:
    """Chromium --host-resolver-rules: each host to 127.0.0.1:port; with loopback_only, nothing else resolves."""
    rules = [f"MAP {h} 127.0.0.1:{port}" for h in hosts]
    if loopback_only:
        rules += ["MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1"]
    return ", ".join(rules)


@contextmanager
def browser_context(user_data_dir: Path, rules: str, trusted_spki: str | None) -> Iterator[BrowserContext]:
    """A persistent context on a new, empty profile folder (closed on exit).

    Only the origin server's throwaway key is trusted (--ignore-certificate-errors-spki-list, which
    Chromium honours with a user-data-dir): the API's own certificate is still verified.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *FLAGS,
                f"--host-resolver-rules={rules}",
                *([f"--ignore-certificate-errors-spki-list={trusted_spki}"] if trusted_spki else []),
            ],
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            yield context
        finally:
            context.close()
