"""Packaging: the runtime dependencies are exactly what the package imports.

Every third-party module imported anywhere in ``live_actor/`` (at module level
or inside a function, except under ``TYPE_CHECKING``) must come from a declared
dependency, and every declared dependency must be imported: an undeclared one
works here by accident (another package pulled it in) and breaks a fresh
install; an unused one is weight for every user.  An extra's dependencies may be
imported only where the extra is optional.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import live_actor

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = Path(live_actor.__file__).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return _normalise(match.group(0))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_modules(tree: ast.Module) -> set[str]:
    """Absolute module names imported anywhere in ``tree`` outside ``TYPE_CHECKING``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            # ``from namespace import submodule`` names the distribution only in full.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@cache
def _distribution_of(module: str) -> str | None:
    """The installed distribution that provides ``module``; ``None`` for a name that
    is not a module (``from package import a_function``)."""
    top = module.split(".")[0]
    candidates = metadata.packages_distributions().get(top, [])
    assert candidates, f"no installed distribution provides {module!r}"
    if len(candidates) == 1:
        return _normalise(candidates[0])
    # A namespace package (``google``, ``opentelemetry``): whose files hold the module.
    path = module.replace(".", "/")
    for name in candidates:
        files = {str(file) for file in metadata.distribution(name).files or []}
        if f"{path}/__init__.py" in files or f"{path}.py" in files:
            return _normalise(name)
    return None


def _third_party_imports() -> dict[str, set[str]]:
    """Distribution -> the package modules that import it."""
    users: dict[str, set[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for module in _imported_modules(tree):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top == "live_actor" or top == "__future__":
                continue
            distribution = _distribution_of(module)
            if distribution is not None:
                users.setdefault(distribution, set()).add(str(path.relative_to(PACKAGE_DIR.parent)))
    return users


def test_runtime_dependencies_are_exactly_what_the_package_imports() -> None:
    declared = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = {
        extra: {_requirement_name(r) for r in requirements}
        for extra, requirements in PYPROJECT["project"]["optional-dependencies"].items()
    }
    imported = _third_party_imports()
    # Extras a user installs for a feature (``vertex``, ``otel``); ``test``,
    # ``examples`` and ``bench`` are for this repository's tests, example programs
    # and benchmarks.
    repository_only = ("test", "examples", "bench")
    features = {name: deps for name, deps in extras.items() if name not in repository_only}
    optional = set().union(*features.values())
    undeclared = set(imported) - declared - optional
    assert not undeclared, {name: sorted(imported[name]) for name in undeclared}
    unused = declared - set(imported)
    assert not unused, f"declared but never imported by live_actor: {sorted(unused)}"
    for name, deps in features.items():
        assert deps <= set(imported), f"the {name} extra is never imported: {deps}"


def test_the_imports_this_check_relies_on_are_found() -> None:
    imported = _third_party_imports()
    # Imported only in one place each: the walk must see them (sniffio and h11
    # were once missing from the dependencies for exactly that reason).
    assert "live_actor/_transport/__init__.py" in imported["sniffio"]
    assert "live_actor/testing/_http.py" in imported["h11"]
    assert "live_actor/_auth.py" in imported["google-auth"]
    assert "live_actor/_telemetry/_otel.py" in imported["opentelemetry-api"]
    assert any(path.startswith("live_actor/_rest") for path in imported["httpx"])


def test_an_extra_is_never_imported_by_import_live_actor() -> None:
    code = (
        "import sys, live_actor, live_actor.rest, live_actor.logs, live_actor.transports, "
        "live_actor.types, live_actor.wire, live_actor.telemetry; "
        "print(sorted(m for m in sys.modules if m.startswith(('google', 'opentelemetry'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_the_package_ships_its_type_information() -> None:
    assert (PACKAGE_DIR / "py.typed").is_file()
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["live_actor"]
    assert "py.typed" in package_data
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert (
        PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
        == "live_actor._version.__version__"
    )
