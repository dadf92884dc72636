"""The core package imports without Home Assistant: a subprocess that forbids it."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

CORE = Path(__file__).resolve().parents[2] / "custom_components" / "intelergy" / "core"

PROBE = """
import importlib.abc, sys, types
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "homeassistant" or name.startswith("homeassistant."):
            raise ImportError(f"core imported {name}")
        return None
sys.meta_path.insert(0, Block())
# Import the core modules without running custom_components/intelergy/__init__.py
# (the integration's entry point, which needs Home Assistant).
pkg = types.ModuleType("custom_components.intelergy")
pkg.__path__ = [sys.argv[1]]
sys.modules["custom_components"] = types.ModuleType("custom_components")
sys.modules["custom_components"].__path__ = []
sys.modules["custom_components.intelergy"] = pkg
import importlib
for name in sys.argv[2:]:
    importlib.import_module("custom_components.intelergy.core." + name)
print("ok", len(sys.argv) - 2)
"""


def test_every_core_module_imports_without_home_assistant() -> None:
    modules = sorted(
        ".".join(path.relative_to(CORE).with_suffix("").parts)
        for path in CORE.rglob("*.py")
        if path.name != "__init__.py"
    )
    assert len(modules) >= 15
    result = subprocess.run(  # noqa: S603 (this interpreter, our own probe)
        [sys.executable, "-c", PROBE, str(CORE.parent), *modules],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok {len(modules)}"
