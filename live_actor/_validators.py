"""Reusable attrs field validators that raise :class:`~live_actor.ConfigError`.

Options classes (``SessionOptions``, ``TransportOptions``, ``RestartPolicy``)
validate every field where it is declared, with one message shape:
``"<Class>.<field> must be <what is allowed>, got <value>"``.  ``bool`` is never
accepted as a number (``True`` is an ``int`` to Python, never a timeout to a
user).

Pure: imports nothing of the package but ``_errors``, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import attrs

from ._errors import ConfigError

__all__ = ["Validator", "at_least", "callable_or_none", "instance_of", "one_of", "positive"]

#: What attrs calls with ``(instance, attribute, value)``.
Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _fail(instance: Any, attribute: attrs.Attribute[Any], allowed: str, value: Any) -> None:
    raise ConfigError(
        f"{type(instance).__name__}.{attribute.name} must be {allowed}, got {value!r}"
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def positive(*, optional: bool = False) -> Validator:
    """A number above zero (``None`` too when ``optional``): timeouts, intervals."""
    allowed = "a positive number" + (" or None" if optional else "")

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not _is_number(value) or not value > 0:
            _fail(instance, attribute, allowed, value)

    return validate


def at_least(
    minimum: float, *, integer: bool = False, optional: bool = False, advice: str = ""
) -> Validator:
    """A number (an ``int`` when ``integer``) ``>= minimum``: sizes, counts, margins.

    ``advice`` is appended to what is allowed, e.g. ``" (bytes)"``.
    """
    kind = "an int" if integer else "a number"
    bound = str(minimum) if isinstance(minimum, int) else f"{minimum:g}"
    allowed = f"{kind} >= {bound}{advice}" + (" or None" if optional else "")

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if (
            not _is_number(value)
            or (integer and not isinstance(value, int))
            or not value >= minimum
        ):
            _fail(instance, attribute, allowed, value)

    return validate


def one_of(*choices: object) -> Validator:
    """One of a few literal values (``Literal`` fields): ``'a', 'b' or 'c'``."""
    shown = [repr(choice) for choice in choices]
    allowed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        # ``in`` alone would accept 1 for True and 1.0 for 1.
        if not any(value == choice and type(value) is type(choice) for choice in choices):
            _fail(instance, attribute, allowed, value)

    return validate


def instance_of(cls: type[Any] | tuple[type[Any], ...], description: str) -> Validator:
    """An instance of ``cls``, described to the user as ``description``."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, cls) or (isinstance(value, bool) and bool not in _types(cls)):
            _fail(instance, attribute, description, value)

    return validate


def _types(cls: type[Any] | tuple[type[Any], ...]) -> tuple[type[Any], ...]:
    return cls if isinstance(cls, tuple) else (cls,)


def callable_or_none(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A callable or ``None`` (factories, hooks)."""
    if value is not None and not callable(value):
        _fail(instance, attribute, "callable or None", value)
