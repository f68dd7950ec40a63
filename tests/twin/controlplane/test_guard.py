"""Each patch refuses to load against a moto it was not written for."""

from __future__ import annotations

import subprocess
import sys

import moto
import pytest

from twin.controlplane.patches import _guard


class Target:
    def method(self, a: int, b: int) -> int:
        return a + b


def test_version_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(moto, "__version__", "5.2.6")
    with pytest.raises(_guard.MotoMismatch, match=r"written for moto 5\.2\.5, found 5\.2\.6"):
        _guard.require("demo", Target, [("method", ("self", "a", "b"))])


def test_missing_attribute_is_refused():
    with pytest.raises(_guard.MotoMismatch, match=r"Target\.gone is missing"):
        _guard.require("demo", Target, [("gone", None)])


def test_changed_signature_is_refused():
    with pytest.raises(_guard.MotoMismatch, match="takes"):
        _guard.require("demo", Target, [("method", ("self", "a"))])


def test_add_refuses_when_moto_grew_the_method():
    with pytest.raises(_guard.MotoMismatch, match="now exists in moto"):
        _guard.add(Target, "method", lambda self: None)


def test_every_patch_module_refuses_another_moto_at_import():
    code = (
        "import importlib, moto\n"
        "from twin.controlplane.patches import PATCHES, _guard\n"
        "moto.__version__ = '5.3.0'\n"
        "for name in PATCHES:\n"
        "    try:\n"
        "        importlib.import_module('twin.controlplane.patches.' + name)\n"
        "    except _guard.MotoMismatch:\n"
        "        print('refused', name)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    from twin.controlplane.patches import PATCHES

    assert result.stdout.split() == [word for name in PATCHES for word in ("refused", name)]


def test_cli_names_the_mismatch_in_one_line():
    code = (
        "import moto, runpy, sys; moto.__version__ = '5.3.0'; sys.argv = ['x', '--port', '0']; "
        "runpy.run_module('twin.controlplane', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "written for moto 5.2.5, found 5.3.0" in result.stderr


def test_replace_is_idempotent_and_keeps_the_original():
    class Local:
        def run(self) -> str:
            return "moto"

    original = Local.run

    def wrap(inner):
        def run(self) -> str:
            return "twin+" + inner(self)

        return run

    _guard.replace(Local, "run", wrap, "tag")
    _guard.replace(Local, "run", wrap, "tag")
    assert Local().run() == "twin+moto"
    assert _guard._unwrap(Local.run) is original
