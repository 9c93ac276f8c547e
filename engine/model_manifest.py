"""What every sound model is, without importing the 60-odd model modules: a manifest cached on disk.

Why: the note matcher needs every model's keywords, category, options and so
on, but executing all model modules costs ~0.1 s of every ``scenefill render``
that then plays three or four of them. So the class-level data of each
:class:`~scenefill.engine.models.base.SoundModel` subclass (everything read
without rendering: name, category, keywords, supersedes, option_words, ...)
is collected once by importing the modules, and kept in a JSON file under the
cache directory. The file is keyed by the engine version and by the path,
size and mtime of every ``.py`` file in the models folder, so editing a model,
adding ``engine/models/foo.py`` or deleting one rebuilds it on the next run:
there is no list to keep in step. A corrupt, foreign or unreadable cache is
rebuilt, never trusted; an unwritable cache directory only costs the imports.

Each entry also carries a *fingerprint*: a hash of the source of the model's
module and of the models-package modules it builds on (``_amb``, ``base``...),
so per-model caches (the calibrated levels) can tell when a model's sound may
have changed even though the engine version did not.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import json
import os
import pkgutil
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Mapping

from scenefill import ENGINE_VERSION

from .cache_paths import cache_dir, read_regular

PACKAGE = "scenefill.engine.models"
_FORMAT = 1
#: modules of the models package that are infrastructure, not models
_NOT_MODELS = {"base"}


class ModelInfo:
    """One model's class-level data, read like the class itself (``info.keywords``, ``info.one_shot``).

    Every public, plain-data class attribute is kept (so an attribute a model
    family adds later is there too), plus where the class lives and the
    fingerprint of its source. ``takes_times`` is False unless the class says otherwise.
    """

    __slots__ = ("module", "class_name", "fingerprint", "_attrs")

    def __init__(self, module: str, class_name: str, fingerprint: str, attrs: dict[str, Any]) -> None:
        object.__setattr__(self, "module", module)
        object.__setattr__(self, "class_name", class_name)
        object.__setattr__(self, "fingerprint", fingerprint)
        object.__setattr__(self, "_attrs", dict(attrs))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_attrs":  # copy/pickle probing a half-built object
            raise AttributeError(name)
        try:
            return self._attrs[name]
        except KeyError:
            if name == "takes_times":
                return False
            raise AttributeError(f"model {self._attrs.get('name')!r} has no class attribute {name!r} "
                                 "in the manifest (only plain data is kept: import the class)") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ModelInfo is read-only")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelInfo) and (self.module, self.class_name, self.fingerprint, self._attrs) \
            == (other.module, other.class_name, other.fingerprint, other._attrs)

    def __repr__(self) -> str:
        return f"ModelInfo({self._attrs.get('name')!r} from {self.module}.{self.class_name})"

    def __reduce__(self):
        return ModelInfo, (self.module, self.class_name, self.fingerprint, self._attrs)

    def attributes(self) -> dict[str, Any]:
        """The class attributes kept, by name (a copy)."""
        return dict(self._attrs)


# --------------------------------------------------------------------------- encoding

class _Unencodable(Exception):
    pass


def _encode(value: Any) -> Any:
    """JSON with tuples, lists and dicts told apart (option values are tuples: they must come back so)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"i": value}
    if isinstance(value, float):
        return {"f": repr(value)}  # exact, and nan/inf survive
    if isinstance(value, tuple):
        return {"t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return {"l": [_encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"s": [_encode(v) for v in sorted(value, key=repr)], "frozen": isinstance(value, frozenset)}
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise _Unencodable(type(value).__name__)


def _decode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise ValueError(f"not an encoded value: {value!r}")
    if "i" in value:
        if not isinstance(value["i"], int) or isinstance(value["i"], bool):
            raise ValueError("bad int")
        return value["i"]
    if "f" in value:
        return float(value["f"])
    if "t" in value:
        return tuple(_decode(v) for v in value["t"])
    if "l" in value:
        return [_decode(v) for v in value["l"]]
    if "s" in value:
        items = [_decode(v) for v in value["s"]]
        return frozenset(items) if value.get("frozen") else set(items)
    if "d" in value:
        return {_decode(k): _decode(v) for k, v in value["d"]}
    raise ValueError(f"not an encoded value: {value!r}")


# --------------------------------------------------------------------------- sources and keys

def models_dir() -> Path:
    """The models package's folder, found without importing it."""
    return Path(__file__).resolve().parent / "models"


def _sources(folder: Path) -> list[Path]:
    """Every Python source of the models package (helpers included: classes inherit their data)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        found.extend(Path(root) / f for f in files if f.endswith(".py"))
    return sorted(found)


def _local_dependencies(module: ModuleType, package: str) -> set[str]:
    """Modules of ``package`` this module imports (read from its source: a constant imported from a
    helper counts too), plus those its names come from."""
    deps: set[str] = set()
    for value in vars(module).values():
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and name.startswith(package + "."):
            deps.add(name)
    try:
        tree = ast.parse(Path(module.__file__).read_bytes())
    except (OSError, SyntaxError, TypeError, ValueError):
        tree = None
    here = module.__name__.split(".")
    if not getattr(module, "__path__", None):
        here = here[:-1]  # a plain module's relative imports start at its package
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            deps.add(target)
            deps.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            deps.update(alias.name for alias in node.names)
    return {d for d in deps if d.startswith(package + ".") and d != module.__name__ and d in sys.modules}


def _class_data(cls: type) -> dict[str, Any]:
    """The public, plain-data class attributes (inherited ones included), encodable ones only."""
    data: dict[str, Any] = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if callable(raw) or isinstance(raw, (property, classmethod, staticmethod)):
            continue
        value = getattr(cls, name)
        try:
            _encode(value)
        except (_Unencodable, RecursionError):  # not plain data (or a structure holding itself)
            continue
        data[name] = value
    data["takes_times"] = bool(getattr(cls, "takes_times", False))
    return data


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".model-manifest.", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only cache only costs the imports next time


class ManifestStore:
    """The manifest of one models package (the engine's own, or a test's), cached on disk."""

    def __init__(self, package: str, folder: Path) -> None:
        self.package = package
        self.folder = Path(folder).resolve()
        self._lock = threading.RLock()
        self._current: dict[str, ModelInfo] | None = None
        self._stamp: list | None = None

    def source_stamp(self) -> list:
        """(path, size, mtime_ns) of each source, with the engine version: the cache's key."""
        stamp: list = [_FORMAT, ENGINE_VERSION, self.package, str(self.folder)]
        for path in _sources(self.folder):
            st = path.stat()
            stamp.append([str(path.relative_to(self.folder)), st.st_size, st.st_mtime_ns])
        return stamp

    def cache_file(self) -> Path:
        """One file per models folder: several checkouts can share a cache directory."""
        tag = hashlib.sha256(f"{self.package}:{self.folder}".encode()).hexdigest()[:12]
        return cache_dir() / f"model-manifest-{tag}.json"

    def _module_names(self) -> list[str]:
        package = importlib.import_module(self.package)
        return [f"{self.package}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
                if not info.name.startswith("_") and info.name not in _NOT_MODELS]

    def _fingerprint(self, module_name: str, source_hash: dict[str, str]) -> str:
        """Hash of the module's source and of every module of the package it reaches."""
        seen: set[str] = set()
        todo = [module_name]
        while todo:
            name = todo.pop()
            if name in seen or name not in sys.modules:
                continue
            seen.add(name)
            todo.extend(_local_dependencies(sys.modules[name], self.package))
        digest = hashlib.sha256()
        for name in sorted(seen):
            if name not in source_hash:
                path = getattr(sys.modules[name], "__file__", None)
                try:
                    source_hash[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else ""
                except OSError:
                    source_hash[name] = ""
            digest.update(f"{name}:{source_hash[name]}\n".encode())
        return digest.hexdigest()[:20]

    def build(self) -> dict[str, ModelInfo]:
        """Import every model module and describe its models (the slow path, when sources change)."""
        from .models.base import SoundModel

        found: dict[str, ModelInfo] = {}
        source_hash: dict[str, str] = {}
        for module_name in self._module_names():
            module = importlib.import_module(module_name)
            for obj in vars(module).values():
                if isinstance(obj, type) and issubclass(obj, SoundModel) and obj.name \
                        and obj.__module__ == module.__name__:
                    if obj.name in found:
                        raise RuntimeError(f"two sound models are named {obj.name!r}")
                    found[obj.name] = ModelInfo(module_name, obj.__name__,
                                                self._fingerprint(module_name, source_hash), _class_data(obj))
        return dict(sorted(found.items()))

    def _to_json(self, stamp: list, models: dict[str, ModelInfo]) -> str:
        return json.dumps({"stamp": stamp, "models": {
            name: {"module": info.module, "class": info.class_name, "fingerprint": info.fingerprint,
                   "attrs": {k: _encode(v) for k, v in info.attributes().items()}}
            for name, info in models.items()}})

    def _from_json(self, text: str, stamp: list) -> dict[str, ModelInfo] | None:
        """The cached manifest if it is well-formed and for exactly these sources, else None."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("stamp") != stamp or not isinstance(data.get("models"), dict):
                return None
            models: dict[str, ModelInfo] = {}
            for name, entry in data["models"].items():
                attrs = {k: _decode(v) for k, v in entry["attrs"].items()}
                module, class_name, fingerprint = entry["module"], entry["class"], entry["fingerprint"]
                if not all(isinstance(s, str) for s in (module, class_name, fingerprint)) \
                        or not module.startswith(self.package + ".") or attrs.get("name") != name \
                        or not isinstance(attrs.get("keywords"), tuple) or not isinstance(attrs.get("category"), str):
                    return None
                models[name] = ModelInfo(module, class_name, fingerprint, attrs)
            return models or None
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None

    def get(self, refresh: bool = False) -> dict[str, ModelInfo]:
        """Name -> :class:`ModelInfo` for every model, from the disk cache when it is current.

        The sources are checked once per process; ``refresh=True`` checks them
        again and rebuilds when they changed. A rebuild imports every model module.
        """
        with self._lock:
            if self._current is not None and not refresh:
                return self._current
            stamp = self.source_stamp()
            if self._current is not None and stamp == self._stamp:
                return self._current
            path = self.cache_file()
            try:
                models = self._from_json(read_regular(path).decode(), stamp)
            except (OSError, UnicodeDecodeError):
                models = None
            if models is None:
                models = self.build()
                if self.source_stamp() == stamp:  # nobody edited a model while we built
                    _write(path, self._to_json(stamp, models))
            self._current, self._stamp = models, stamp
            return models


#: the engine's own models
STORE = ManifestStore(PACKAGE, models_dir())


def manifest(refresh: bool = False) -> dict[str, ModelInfo]:
    """Name -> :class:`ModelInfo` for every model of the engine (see :meth:`ManifestStore.get`)."""
    return STORE.get(refresh)


class _ManifestView:
    """The names side of a mapping over the manifest: iterating, counting and testing names read the
    manifest only, never a model's module."""

    _store: ManifestStore

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.get())

    def __len__(self) -> int:
        return len(self._store.get())

    def __contains__(self, name: object) -> bool:
        return name in self._store.get()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self._store.get())})"


class Catalog(_ManifestView, Mapping[str, ModelInfo]):
    """Read-only mapping name -> :class:`ModelInfo`, loaded on first use."""

    def __init__(self, store: ManifestStore | None = None) -> None:
        self._store = store or STORE

    def __getitem__(self, name: str) -> ModelInfo:
        return self._store.get()[name]


class LazyRegistry(_ManifestView, Mapping[str, type]):
    """Name -> model class, importing a model's module only when its class is asked for.

    Iterating names is free; ``REGISTRY[name]`` (and ``items()``/``values()``)
    imports the modules concerned.
    """

    def __init__(self, store: ManifestStore | None = None) -> None:
        self._store = store or STORE
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        info = self._store.get()[name]
        cls = getattr(importlib.import_module(info.module), info.class_name, None)
        if cls is None or getattr(cls, "name", None) != name:  # the manifest is behind the source
            info = self._store.get(refresh=True)[name]
            cls = getattr(importlib.import_module(info.module), info.class_name)
        self._classes[name] = cls
        return cls
