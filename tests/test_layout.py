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


#: the trial layout's file names (mocaplab/trial.py) and where else one may be spelled: the
#: session's shared calibration of the lab layout (reporting/paths.py). Folder names (videos,
#: report, ...) are left out: other tools' folders (Pose2Sim's videos/) share them.
LAYOUT_NAMES = {"meta.json", "points3d.npz", "metrics.json", "keypoints2d.npz", "timestamps.csv",
                "calibration.toml"}
LAYOUT_OWNERS = {"mocaplab/trial.py", "reporting/paths.py"}


def _layout_joins(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every path built from a layout name: ``x / "name"``,
    ``x.with_name("name")``, ``x.glob("name")`` / ``rglob`` / ``joinpath``."""
    found = []
    for node in ast.walk(tree):
        parts = []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts = [node.right]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("with_name", "glob", "rglob", "joinpath"):
            parts = list(node.args)
        for p in parts:
            if isinstance(p, ast.Constant) and isinstance(p.value, str) and \
                    p.value.rsplit("/", 1)[-1] in LAYOUT_NAMES:
                found.append((node.lineno, p.value))
    return found


def test_only_trial_spells_the_trial_layout():
    """No product module joins a trial-layout file name itself: it asks :class:`Trial`."""
    files = {py for folder in _package_dirs().values() for py in folder.rglob("*.py")}
    joins = []
    for py in sorted(files):
        rel = py.relative_to(ROOT).as_posix()
        if rel not in LAYOUT_OWNERS:
            joins += [f"{rel}:{line} {name}" for line, name in
                      _layout_joins(ast.parse(py.read_text(encoding="utf-8")))]
    assert joins == []
