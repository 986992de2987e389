"""Layers point down only (../shared/DESIGN.md): an import that points up, or a cycle, fails here.

Read from the source with `ast`, so every import counts: top-level, inside functions (lazy) and under
`if TYPE_CHECKING:` (a reader and a type checker follow those arrows too).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

STUDIO = Path(__file__).resolve().parent.parent / "studio"

# Rank of each unit (a package, or a module directly under studio/): a unit imports only lower ranks.
# Units of one rank are independent of each other: the two faces (ui, cli) share nothing but what lies
# below them. app.py is the composition root: it builds the main window, so it sits above ui
# (DESIGN.md draws it between ui and cli; the code has always had it on top).
LAYERS: dict[str, int] = {
    "app": 14, "__main__": 14,
    # The CLI's `kinora serve` and the studio's "Serve the API" toggle start the server: it sits below both faces.
    "ui": 12, "cli": 12,
    # The studio's app model (the open project, engine, selection; no Qt) sits under the window beside it.
    "server": 11, "studio_model": 11,
    # Cameos travel through feeds; a feed publishes signed exports of takes the engine made.
    "consent": 10,
    "feed": 9,
    # Services over the library: generation, playback, signed export, the one import path.
    "engine": 8, "playback": 8, "exporting": 8, "importing": 8,
    "project": 7,
    "library": 6,
    "media": 5,
    "provenance": 4,
    "recipe": 3,
    # Small shared modules every layer may use (atomic writes name their owner: scratch), then the floor.
    "atomic": 2, "cancel": 2, "paths": 2, "formatting": 2,
    "scratch": 1,
    "errors": 0, "__init__": 0,  # __init__: the package itself (its __version__)
}
# Upward arrows allowed on purpose, each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # `kinora` (studio.cli:main) with no command, and `kinora open`, start the studio: the entry point
    # is the CLI, so it reaches up to the app's wiring, lazily, inside those two functions.
    ("cli", "app"): "the kinora entry point opens the studio",
}
QT_UNITS = {"ui", "app"}  # only these may import Qt


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_module(name: str) -> bool:
    return (STUDIO / f"{name}.py").is_file() or (STUDIO / name / "__init__.py").is_file()


def _imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, where) for every import in studio/."""
    found = []
    for path in sorted(STUDIO.rglob("*.py")):
        rel = path.relative_to(STUDIO.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = module if rel.name == "__init__" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{rel}.py:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                found += [(module, alias.name, where) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                if base == "studio":  # `from studio import x`: x is a module, or a name of the package itself
                    found += [(module, f"studio.{alias.name}" if _is_module(alias.name) else "studio", where)
                              for alias in node.names]
                else:
                    found.append((module, base, where))
    return found


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for source, target, where in _imports():
        if not target.startswith("studio") or _unit(source) == _unit(target):
            continue
        src, dst = _unit(source), _unit(target)
        if src not in LAYERS or dst not in LAYERS:
            wrong.append(f"{where}: {src} -> {dst}: a unit with no layer; add it to LAYERS (and DESIGN.md)")
        elif LAYERS[dst] >= LAYERS[src] and (src, dst) not in EXCEPTIONS:
            wrong.append(f"{where}: {source} imports {target} ({src} is not above {dst})")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_only_the_ui_and_the_app_import_qt() -> None:
    wrong = [f"{where}: {target}" for source, target, where in _imports()
             if target.split(".")[0] in ("PySide6", "shiboken6") and _unit(source) not in QT_UNITS]
    assert not wrong, "Qt imported below studio/ui:\n" + "\n".join(wrong)


def test_no_import_cycle_between_units() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, _ in _imports():
        if target.startswith("studio") and _unit(source) != _unit(target):
            graph[_unit(source)].add(_unit(target))
    for src, dst in EXCEPTIONS:
        graph[src].discard(dst)
    cycles = [f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, ())]
    assert not cycles, f"units that import each other: {cycles}"


def test_the_checker_sees_an_upward_import(tmp_path: Path, monkeypatch) -> None:
    # A check that finds nothing in any tree proves nothing: give it one upward arrow and watch it fail.
    tree = tmp_path / "studio"
    (tree / "library").mkdir(parents=True)
    (tree / "__init__.py").write_text("")
    (tree / "library" / "__init__.py").write_text("")
    (tree / "library" / "bad.py").write_text("def f():\n    from studio.ui.theme import icon\n")
    monkeypatch.setitem(globals(), "STUDIO", tree)
    try:
        test_imports_point_down_the_layers()
    except AssertionError as exc:
        assert "studio.library.bad imports studio.ui.theme" in str(exc)
    else:
        raise AssertionError("an upward import went unnoticed")
