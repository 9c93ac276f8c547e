"""Small, safe helpers over Resolve's scripting objects.

Resolve's objects answer ``hasattr`` with True for any name and return None from
calls they do not know, so availability is probed with ``dir()`` and every
answer is normalised here (lists that may come back as ``{1: item}`` dicts,
numbers that may come back as strings or None).
"""

from __future__ import annotations

from typing import Any


def has_call(obj: Any, name: str) -> bool:
    """True when ``obj`` really offers ``name`` (``hasattr`` is always True on Resolve objects)."""
    try:
        return name in dir(obj)
    except Exception:  # noqa: BLE001 - a dead object
        return False


def call(obj: Any, name: str, *args, default=None):
    """``obj.name(*args)`` when the object offers it, else ``default``; exceptions become ``default``."""
    if obj is None or not has_call(obj, name):
        return default
    try:
        value = getattr(obj, name)(*args)
    except Exception:  # noqa: BLE001 - the scripting bridge raises odd errors for bad arguments
        return default
    return default if value is None else value


def as_list(value) -> list:
    """A Resolve list answer: a list, the deprecated ``{1: x, 2: y}`` dict form, or None."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    return list(value)


def as_int(value, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(round(float(value)))
    except (TypeError, ValueError):
        return default


def text(value) -> str:
    return value.strip() if isinstance(value, str) else ""
