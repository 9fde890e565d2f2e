"""The fake server's shape: no import circle, never the client side, small rooms, old names.

The import graph is read from the source (every ``import``, including those under
``TYPE_CHECKING``), so a type-only circle counts as a circle.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import pathlib
import re
import warnings

import attrs
import pytest

import live_actor.testing

PACKAGE = "live_actor.testing"
ROOT = pathlib.Path(live_actor.testing.__file__).parent
MODULES = sorted(p for p in ROOT.glob("*.py"))


def _module_name(path: pathlib.Path) -> str:
    return PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"


def _imports(path: pathlib.Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative ones resolved)."""
    tree = ast.parse(path.read_text())
    here = _module_name(path)
    package = here if path.stem == "__init__" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            # ``from . import _x`` imports a module, not a name
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                if (ROOT / f"{alias.name}.py").exists() and module == PACKAGE:
                    found.add(candidate)
    return found


def _graph() -> dict[str, set[str]]:
    names = {_module_name(p) for p in MODULES}
    return {_module_name(p): _imports(p) & names for p in MODULES}


def test_the_import_graph_of_the_fake_has_no_cycle() -> None:
    graph = _graph()
    assert len(graph) >= 20  # the walk found the package
    sorter = graphlib.TopologicalSorter(graph)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:  # pragma: no cover - the failure message
        pytest.fail(f"import cycle in live_actor.testing: {exc.args[1]}")
    assert order[-1] == PACKAGE


def test_the_cycle_check_sees_a_type_only_import(tmp_path: pathlib.Path) -> None:
    """The checker itself: an import under TYPE_CHECKING is an edge of the graph."""
    module = tmp_path / "_probe.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._conn import X\n"
    )
    assert f"{PACKAGE}._conn" in _imports(module)


def test_the_fake_never_imports_the_client_side() -> None:
    for path in MODULES:
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "live_actor" or len(parts) < 2:
                continue
            assert parts[1] == "testing" or not parts[1].startswith("_"), (
                f"{path.name} imports the client module {name}"
            )


def test_every_module_and_class_stays_small() -> None:
    for path in MODULES:
        source = path.read_text()
        assert source.count("\n") <= 520, f"{path.name} has {source.count(chr(10))} lines"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 360, f"{path.name}:{node.name} has {length} lines"


@pytest.mark.parametrize(
    ("old", "new"), [("Session", "FakeSession"), ("FunctionDeclaration", "DeclaredFunction")]
)
def test_old_names_still_import_with_a_deprecation_warning(old: str, new: str) -> None:
    module = importlib.import_module(PACKAGE)
    with pytest.warns(DeprecationWarning, match=f"use live_actor.testing.{new}"):
        value = getattr(module, old)
    assert value is getattr(module, new)
    assert old not in module.__all__ and new in module.__all__


def test_public_names_import_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in live_actor.testing.__all__:
            getattr(live_actor.testing, name)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        live_actor.testing.Nope  # type: ignore[attr-defined]  # noqa: B018


def test_settings_are_frozen_and_checked() -> None:
    settings = live_actor.testing.FakeServerSettings(chunk_delay=0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.chunk_delay = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="chunk_delay must be >= 0"):
        live_actor.testing.FakeServerSettings(chunk_delay=-1)
    with pytest.raises(ValueError, match="go_away_cut must be one of"):
        live_actor.testing.FakeServerSettings(go_away_cut="later")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        live_actor.testing.FakeLiveServer(chunk_dela=0)


def test_server_settings_combine_a_base_and_overrides() -> None:
    base = live_actor.testing.FakeServerSettings(chunk_delay=0, words_per_chunk=2)
    server = live_actor.testing.FakeLiveServer(
        settings=base, words_per_chunk=5, extra_models=["my-model"]
    )
    assert server.settings.chunk_delay == 0
    assert server.settings.words_per_chunk == 5
    assert "my-model" in server.settings.known_models
    assert "gemini-3.1-flash-live-preview" in server.settings.known_models


def test_every_wire_protocol_reference_names_a_section_of_the_notes() -> None:
    """Docstrings cite ``wire-protocol.md §N``: docs/wire-protocol.md has every such N."""
    repo = ROOT.parents[1]
    notes = (repo / "docs" / "wire-protocol.md").read_text()
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", notes, re.MULTILINE)}
    assert sections >= set(range(1, 14))
    cited: dict[int, str] = {}
    for folder in ("live_actor", "tests", "bench", "examples"):
        for path in (repo / folder).rglob("*.py"):
            for line in path.read_text().splitlines():
                tail = line.partition("wire-protocol")[2]
                for n in re.findall(r"§\s*(\d+)", tail):
                    cited[int(n)] = f"{path.relative_to(repo)}: {line.strip()}"
    assert cited, "no references found: the scan is broken"
    missing = {n: where for n, where in cited.items() if n not in sections}
    assert not missing, missing
