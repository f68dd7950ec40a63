"""Every e2e test uses each fixture it requests: a requested fixture that the body never reads still runs
(a session fixture of the authorizer checks posts an exam for `path_values`), costs time and misleads the
reader about what the check covers. Read from the source with `ast`, so a new e2e file is covered at once."""

from __future__ import annotations

import ast
from pathlib import Path

E2E = Path(__file__).resolve().parents[2] / "e2e"


def unused_requests(source: str) -> list[tuple[str, str]]:
    """(test name, parameter) for each parameter of a module-level `test_*` function its body never names."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            names = {n.id for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            found += [(node.name, a.arg) for a in args if a.arg not in names]
    return found


def test_detects_an_unused_request() -> None:
    source = "def test_a(used, unused):\n    return used\n\ndef helper(x):\n    pass\n"
    assert unused_requests(source) == [("test_a", "unused")]


def test_every_e2e_test_uses_the_fixtures_it_requests() -> None:
    unused = [
        f"{path.relative_to(E2E)}::{test}({arg})"
        for path in sorted(E2E.rglob("test_*.py"))
        for test, arg in unused_requests(path.read_text())
    ]
    assert not unused, f"e2e tests request fixtures they never use {unused}: drop the parameter or use it"
