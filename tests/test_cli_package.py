"""The `bot.cli` package: every module imports alone, and no module imports back into a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import MODULES

PACKAGE = Path(__file__).resolve().parents[1] / "bot" / "cli"
NAMES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def _imports(path: Path) -> set[str]:
    """Every `bot.cli…` module named by an import anywhere in the file (function bodies too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bot.cli")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.cli"):
            if node.module == "bot.cli":  # `from bot.cli import x`: x is a module or a name of __init__
                found |= {f"bot.cli.{a.name}" if a.name in NAMES else "bot.cli" for a in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add("relative")
    return found


def test_every_command_module_is_registered() -> None:
    assert sorted(MODULES) == sorted(set(NAMES) - {"common", "support", "library_texts", "tables"})


def test_no_module_imports_the_package_and_the_graph_has_no_cycle() -> None:
    graph = {name: _imports(PACKAGE / f"{name}.py") for name in NAMES}
    assert {name for name, targets in graph.items() if "bot.cli" in targets or "relative" in targets} == set()
    assert _imports(PACKAGE / "__init__.py") == {"bot.cli.common", "bot.cli.library_texts"}  # the rest by name only
    edges = {name: {target.removeprefix("bot.cli.") for target in targets} for name, targets in graph.items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' → '.join((*path, name))}"
        if name not in done:
            for target in edges[name]:
                visit(target, (*path, name))
            done.add(name)

    for name in NAMES:
        visit(name, ())
    assert edges["common"] == set()  # the shared helpers stand alone


@pytest.mark.parametrize("name", NAMES)
def test_each_module_imports_alone_in_a_fresh_interpreter(name: str) -> None:
    code = (f"import sys, bot.cli.{name} as m; "
            "loaded = sorted(k for k in sys.modules if k.startswith('bot.cli.')); "
            "print(' '.join(loaded)); "
            "assert hasattr(m, 'register') or m.__name__.endswith(('.common', '.support', '.library_texts', '.tables'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) <= {f"bot.cli.{name}", "bot.cli.common", "bot.cli.support", "bot.cli.tables"}
