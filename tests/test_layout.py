"""The package layout: reporting imports no server code, and no import cycle between the stage
subpackages, the pipeline and the server (lazy imports inside functions count too)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_dirs() -> dict[str, Path]:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {pkg: ROOT / d for pkg, d in cfg["tool"]["setuptools"]["package-dir"].items()}


def _node(module: str) -> str:
    """The unit of the graph: a stage subpackage (mocaplab.api, ...) or a core module."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for pkg, folder in _package_dirs().items():
        for py in folder.glob("*.py"):
            mod = pkg if py.stem == "__init__" else f"{pkg}.{py.stem}"
            src = _node(mod)
            for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                for n in names:
                    if n.startswith("mocaplab.") and _node(n) != src:
                        graph.setdefault(src, set()).add(_node(n))
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        n = todo.pop()
        if n == goal:
            return True
        if n not in seen:
            seen.add(n)
            todo += graph.get(n, ())
    return False


def test_reporting_imports_no_server_code():
    graph = _import_graph()
    assert not _reaches(graph, "mocaplab.reporting", "mocaplab.api")
    code = ("import sys, mocaplab.reporting as r\n"
            "for m in ('db', 'exports', 'fhir', 'figures', 'keyframes', 'labdata', 'paths',"
            " 'progress', 'report'):\n    __import__('mocaplab.reporting.' + m)\n"
            "print(sorted(m for m in sys.modules if m.startswith('mocaplab.api')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_import_cycle_between_stages_pipeline_and_server():
    graph = _import_graph()
    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a]
                    if a < b and _reaches(graph, b, a)
                    and a not in ("mocaplab.cli",) and b not in ("mocaplab.cli",))
    assert cycles == []
