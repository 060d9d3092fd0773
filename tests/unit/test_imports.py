"""The package imports itself in no ring, and only downwards between its layers.

Reads the source, does not import it.  Every ``import`` counts, at module
level or inside a function (a function-level import is still an arrow; it
only moves the cost), except those under ``if TYPE_CHECKING:``, which
never run.  The rings that are still there are listed in
:data:`KNOWN_CYCLES`; a new one, or a known one that grew, fails, and so
does a known one that is gone (shrink the list).  Between the layers of
:data:`LAYERS` arrows point down only, and ``client``, ``master`` and
``remote`` never import each other (README, "How the code is laid out").
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

Graph = dict[str, set[str]]

# Rings the package still has, each exactly as found; remove one once it is broken.
KNOWN_CYCLES: dict[str, list[frozenset[str]]] = {
    "sessmux": [],
    "bench": [],
}


# sessmux's layers, lowest first; a module may import its own layer and those below.
# The three of one rank are siblings that never import each other.
LAYERS = {"core": 0, "system": 1, "client": 2, "master": 2, "remote": 2, "sessview": 3,
          "commands": 4}


def layer(module: str) -> str | None:
    """The layer of ``sessmux.X.y``; None for the top-level modules (``sessmux`` itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else None


def upward(g: Mapping[str, set[str]]) -> list[str]:
    """Every arrow that points up a layer, or across between sibling layers."""
    said = []
    for source, targets in sorted(g.items()):
        here = layer(source)
        for target in sorted(targets):
            there = layer(target)
            if here is None or there is None or here == there:
                continue
            if LAYERS[there] >= LAYERS[here]:
                said.append(f"{source} -> {target}: {there} is not below {here}")
    return said


def modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node that can run: all but the body of ``if TYPE_CHECKING:`` (its else runs)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def imports_of(source: str, module: str, modules: Iterable[str],
               is_package: bool = False) -> set[str]:
    """The ``modules`` that ``module`` (whose text is ``source``) imports when it runs."""
    known = set(modules)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def add(name: str) -> None:
        while name and name not in known:  # sessmux.x.attr -> sessmux.x
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)

    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # from sessmux.commands import cli: the module sessmux.commands.cli if there is one.
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def graph(package: str, root: Path = ROOT) -> Graph:
    found = modules(package, root)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, found,
                             path.name == "__init__.py")
            for name, path in found.items()}


def cycles(g: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The rings of ``g``: its strongly connected parts with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.add(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(frozenset(part))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def problems(found: list[frozenset[str]], known: list[frozenset[str]]) -> list[str]:
    """What is wrong with the rings ``found``, given those still allowed."""
    said = [f"import cycle: {' <-> '.join(sorted(c))}" for c in found if c not in known]
    said += [f"known cycle gone (remove it from KNOWN_CYCLES): {' <-> '.join(sorted(c))}"
             for c in known if c not in found]
    return said


@pytest.mark.parametrize("package", sorted(KNOWN_CYCLES))
def test_no_import_cycles(package: str) -> None:
    g = graph(package)
    assert len(g) > 10 and any(g.values())  # the package was read
    assert problems(cycles(g), KNOWN_CYCLES[package]) == []


def test_imports_point_down_the_layers() -> None:
    g = graph("sessmux")
    assert {layer(m) for m in g} >= set(LAYERS)  # every layer was read
    assert upward(g) == []
    # sessmux/ has only a handful of top-level modules outside its packages.
    assert len([m for m in g if m.count(".") == 1 and layer(m + ".x") is None]) <= 3


def test_an_upward_or_sideways_arrow_fails() -> None:
    g: Graph = {"sessmux.core.a": set(), "sessmux.system.b": {"sessmux.core.a"},
                "sessmux.master.c": {"sessmux.system.b"},
                "sessmux.commands.d": {"sessmux.master.c"}}
    assert upward(g) == []
    g["sessmux.core.a"].add("sessmux.system.b")
    g["sessmux.master.c"].add("sessmux.client.e")
    assert upward(g) == ["sessmux.core.a -> sessmux.system.b: system is not below core",
                         "sessmux.master.c -> sessmux.client.e: client is not below master"]


def test_a_new_cycle_fails_and_a_known_one_passes() -> None:
    g: Graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": set(), "p.d": {"p.a"}}
    assert cycles(g) == [] and problems(cycles(g), []) == []
    g["p.c"].add("p.a")  # a -> b -> c -> a
    assert cycles(g) == [frozenset({"p.a", "p.b", "p.c"})]
    assert problems(cycles(g), []) == ["import cycle: p.a <-> p.b <-> p.c"]
    assert problems(cycles(g), [frozenset({"p.a", "p.b", "p.c"})]) == []
    g["p.a"].add("p.d")  # a known ring that takes in one more module is new
    assert problems(cycles(g), [frozenset({"p.a", "p.b", "p.c"})]) == [
        "import cycle: p.a <-> p.b <-> p.c <-> p.d",
        "known cycle gone (remove it from KNOWN_CYCLES): p.a <-> p.b <-> p.c"]


def test_imports_are_read_as_they_run() -> None:
    known = {"p", "p.a", "p.b", "p.c", "p.d", "p.e", "p.f", "p.g", "p.sub", "p.sub.h"}
    source = """
import os
import p.b as bee
from p import c
from p.d import something
from . import e
TYPE_CHECKING = False
if TYPE_CHECKING:
    from p import g
else:
    import p.sub.h
def later():
    from .f import thing
"""
    assert imports_of(source, "p.a", known) == {"p.b", "p.c", "p.d", "p.e", "p.f", "p.sub.h"}
    assert imports_of("from .. import a\nfrom p import __version__", "p.sub.h", known) == {
        "p.a", "p"}


def test_a_module_over_300_lines_says_why() -> None:
    """Modules aim at 300 lines; one that stays over says so, and why, in its docstring."""
    silent = []
    for name, path in modules("sessmux").items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= 300:
            continue
        doc = " ".join((ast.get_docstring(ast.parse(text)) or "").split())
        if "300 lines" not in doc:
            silent.append(f"{name}: {text.count(chr(10))} lines")
    assert silent == []
