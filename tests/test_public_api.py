"""The public surface: what each public module exports, and nothing private leaks.

Modelled on anyio's ``test_all_attributes.py``: every name in a public module's
``__all__`` exists, ``__all__`` is sorted the way ruff's RUF022 sorts it, the
top level holds exactly its ``__all__`` plus the public submodules, and the
names that left the top level still import, with a DeprecationWarning naming
their new home.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types as pytypes
import warnings
from pathlib import Path

import attrs
import pytest

import live_actor
from live_actor import types, wire
from live_actor._protocol import _codec, _enums, _messages

PACKAGE_DIR = Path(live_actor.__file__).parent


def _public_modules() -> list[str]:
    names = ["live_actor"]
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="live_actor."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


PUBLIC_MODULES = _public_modules()


def _ruff_order(name: str) -> tuple[int, str]:
    """RUF022's isort-style order: CONSTANTS, then Classes, then everything else."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_the_public_modules_are_the_documented_ones() -> None:
    assert PUBLIC_MODULES == [
        "live_actor",
        "live_actor.cli",
        "live_actor.logs",
        "live_actor.rest",
        "live_actor.stores",
        "live_actor.telemetry",
        "live_actor.testing",
        "live_actor.transports",
        "live_actor.types",
        "live_actor.wire",
    ]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_module_has_a_sorted_all_of_existing_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert exported == sorted(exported, key=_ruff_order), f"{module_name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{module_name}.__all__ has duplicates"
    for name in exported:
        assert hasattr(module, name), f"{module_name}.__all__ names {name!r}, which is missing"
        value = getattr(module, name)
        assert not isinstance(value, pytypes.ModuleType), f"{module_name}.{name} is a module"
        assert not name.startswith("_") or name == "__version__"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_star_import_gives_exactly_all(module_name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module_name} import *", namespace)
    assert sorted(set(namespace) - {"__builtins__"}) == sorted(
        importlib.import_module(module_name).__all__
    )


def test_the_top_level_is_narrow() -> None:
    assert 30 <= len(live_actor.__all__) <= 40
    public_attributes = {name for name in vars(live_actor) if not name.startswith("_")}
    submodules = {name for name in public_attributes if f"live_actor.{name}" in PUBLIC_MODULES}
    # Nothing but the exported names and the public submodules: no stray import
    # (typing, warnings ...) and no private module under a public name.
    assert public_attributes - submodules == set(live_actor.__all__) - {"__version__"}
    assert {"types", "wire"} <= submodules


def test_no_private_module_is_reachable_under_a_public_name() -> None:
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                isinstance(value, pytypes.ModuleType)
                and not name.startswith("_")
                and value.__name__.startswith("live_actor")
            ):
                assert value.__name__ in PUBLIC_MODULES, (module_name, name, value.__name__)


def test_types_holds_every_wire_class_and_enum() -> None:
    wire_classes = {
        name
        for name, value in vars(_messages).items()
        if isinstance(value, type)
        and issubclass(value, _messages._Wire)
        and value is not _messages._Wire
    }
    enums = {
        name
        for name, value in vars(_enums).items()
        if isinstance(value, type) and issubclass(value, _enums.OpenEnum)
    }
    assert len(wire_classes) >= 49 and len(enums) >= 16
    assert wire_classes | enums | {"ClientMessage"} == set(types.__all__)
    for name in wire_classes:
        assert attrs.has(getattr(types, name))


def test_wire_holds_the_codec() -> None:
    codec = {name for name in _codec.__all__ if name.startswith(("encode_", "decode_"))}
    assert codec == set(wire.__all__)
    frame = wire.encode_client_message(types.RealtimeInput(text="hi"))
    assert frame == '{"realtimeInput":{"text":"hi"}}'
    assert wire.decode_client_message(frame) == types.RealtimeInput(text="hi")


MOVED = sorted(live_actor._MOVED.items())


@pytest.mark.parametrize(("name", "home"), MOVED, ids=[name for name, _ in MOVED])
def test_a_moved_name_still_imports_and_warns_with_its_new_home(name: str, home: str) -> None:
    new_home = importlib.import_module(f"live_actor.{home}")
    assert name in new_home.__all__
    assert name not in live_actor.__all__
    message = rf"live_actor\.{name} moved to live_actor\.{home}\.{name}"
    with pytest.warns(DeprecationWarning, match=message):
        value = getattr(live_actor, name)
    assert value is getattr(new_home, name)
    namespace: dict[str, object] = {}
    with pytest.warns(DeprecationWarning, match=message):
        exec(f"from live_actor import {name}", namespace)
    assert namespace[name] is value


def test_the_moved_names_are_the_old_wide_surface() -> None:
    # 0.1.0.dev0 exported 102 names; 37 stayed, the wire classes, enums and
    # codec functions moved.
    assert len(live_actor._MOVED) == 69
    assert set(live_actor._MOVED) | set(live_actor.__all__) >= {"Content", "Blob", "Modality"}


def test_an_unknown_name_is_an_attribute_error_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not hasattr(live_actor, "Sesion")
        with pytest.raises(AttributeError, match="'Sesion'"):
            live_actor.Sesion  # type: ignore[attr-defined]  # noqa: B018


def test_version_is_the_packaged_version() -> None:
    from importlib.metadata import version

    from live_actor._version import USER_AGENT, client_headers

    assert live_actor.__version__ == version("live_actor")
    assert USER_AGENT.endswith(f"/{live_actor.__version__}")
    assert client_headers()["user-agent"] == USER_AGENT


# --------------------------------------------------------------- import graph


def _module_files() -> dict[str, Path]:
    files = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


MODULE_FILES = _module_files()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_edges(module: str) -> set[str]:
    """The package modules ``module`` imports while it is being imported.

    Function-local imports and ``if TYPE_CHECKING:`` blocks do not run at
    import time; ``from pkg import submodule`` needs only the submodule (its
    package is already being initialised).
    """
    path = MODULE_FILES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.ClassDef | ast.With):
                visit(node.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                submodules = [
                    f"{target}.{alias.name}"
                    for alias in node.names
                    if f"{target}.{alias.name}" in MODULE_FILES
                ]
                found.update(submodules)
                if len(submodules) < len(node.names):
                    found.add(target)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {name for name in found if name in MODULE_FILES and name != module}


def test_no_import_cycle_in_the_package() -> None:
    graph = {module: _import_time_edges(module) for module in MODULE_FILES}
    assert graph["live_actor"] >= {"live_actor.types", "live_actor.wire"}
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            walk(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        walk(module, [])
