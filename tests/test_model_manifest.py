"""The note matcher reads a cached manifest of the models, so a render imports only what it plays.

The story: an engineer adds ``engine/models/foo.py`` or edits a model while
others render; the next run must see the change without anyone editing a
list, a damaged cache must never crash a render, and a level calibrated for
the old model must not be reused for the new one.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import time

import pytest

from scenefill.engine import calibration, model_manifest
from scenefill.engine.model_manifest import Catalog, LazyRegistry, ManifestStore, ModelInfo
from scenefill.engine.models import CATALOG, REGISTRY
from scenefill.engine.scene import LayerSpec


def test_the_manifest_says_what_each_class_says():
    """Every model, every plain class attribute the matcher and pipeline read, same value and type."""
    assert len(CATALOG) >= 37 and set(CATALOG) == set(REGISTRY)
    for name, info in CATALOG.items():
        cls = REGISTRY[name]
        assert cls.name == name and cls.__name__ == info.class_name
        for attr in ("category", "keywords", "default_level_db", "description", "outdoor", "supersedes",
                     "option_words", "one_shot"):
            assert getattr(info, attr) == getattr(cls, attr), (name, attr)
            assert type(getattr(info, attr)) is type(getattr(cls, attr)), (name, attr)
        assert info.takes_times == bool(getattr(cls, "takes_times", False))
    footsteps = CATALOG["footsteps"]
    assert footsteps.option_words["gravel"] == ("surface", "gravel")  # a tuple, as the class has it
    with pytest.raises(AttributeError):
        footsteps.render_block  # methods are the class's business, not the manifest's
    assert pickle.loads(pickle.dumps(footsteps)) == footsteps == copy.deepcopy(footsteps)  # to worker processes


# --------------------------------------------------------------------------- a models package of our own

def _write_model(folder, module: str, name: str, keywords: tuple[str, ...], extra: str = "") -> None:
    (folder / f"{module}.py").write_text(textwrap.dedent(f"""
        from scenefill.engine.models.base import SoundModel
        {extra}

        class Model_{name}(SoundModel):
            name = {name!r}
            keywords = {keywords!r}
            option_words = {{"tin": ("surface", "tin")}}
            description = "a test model"
    """))


@pytest.fixture
def fake_models(tmp_path, monkeypatch):
    """A package ``fakemodels_<n>`` on sys.path with one model, and a store for it."""
    package = f"fakemodels_{time.monotonic_ns()}"
    folder = tmp_path / "src" / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    _write_model(folder, "alpha", "alpha", ("alpha",))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path / "cache"))
    importlib.invalidate_caches()
    yield package, folder
    for mod in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[mod]


def _forget_modules(package: str) -> None:
    """What a new process sees: nothing of the package imported yet."""
    for mod in [m for m in sys.modules if m.startswith(package + ".")]:
        del sys.modules[mod]
    importlib.invalidate_caches()


def _bump(path) -> None:
    """Make sure an edit is seen even on a file system with coarse timestamps."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


def test_a_new_model_module_is_found_without_editing_any_list(fake_models):
    package, folder = fake_models
    store = ManifestStore(package, folder)
    assert list(store.get()) == ["alpha"]
    assert store.cache_file().exists()
    _write_model(folder, "beta", "beta", ("beta", "second test"))
    _forget_modules(package)
    assert list(store.get(refresh=True)) == ["alpha", "beta"]
    fresh = ManifestStore(package, folder)  # the next process
    assert fresh.get()["beta"].keywords == ("beta", "second test")


def test_an_unchanged_package_is_read_from_the_cache_without_importing_a_model(fake_models, monkeypatch):
    package, folder = fake_models
    first = ManifestStore(package, folder).get()
    _forget_modules(package)
    monkeypatch.setattr(ManifestStore, "build", lambda self: pytest.fail("rebuilt an unchanged manifest"))
    second = ManifestStore(package, folder).get()
    assert second == first and second["alpha"].option_words == {"tin": ("surface", "tin")}
    assert f"{package}.alpha" not in sys.modules
    registry = LazyRegistry(ManifestStore(package, folder))
    assert "alpha" in registry and f"{package}.alpha" not in sys.modules  # names cost no import
    assert registry["alpha"].__name__ == "Model_alpha"  # the class imports its module
    assert f"{package}.alpha" in sys.modules


def test_an_edited_model_is_described_anew_and_gets_a_new_fingerprint(fake_models):
    package, folder = fake_models
    before = ManifestStore(package, folder).get()["alpha"]
    _write_model(folder, "alpha", "alpha", ("alpha", "first letter"))
    _bump(folder / "alpha.py")
    _forget_modules(package)
    after = ManifestStore(package, folder).get()["alpha"]
    assert after.keywords == ("alpha", "first letter")
    assert after.fingerprint != before.fingerprint


def test_a_shared_helper_changes_the_fingerprint_of_the_models_built_on_it_only(fake_models):
    package, folder = fake_models
    (folder / "_kit.py").write_text("GAIN = 1.0\n")
    _write_model(folder, "beta", "beta", ("beta",), extra="from ._kit import GAIN")
    _forget_modules(package)
    before = ManifestStore(package, folder).get()
    (folder / "_kit.py").write_text("GAIN = 2.0\n")
    _bump(folder / "_kit.py")
    _forget_modules(package)
    after = ManifestStore(package, folder).get()
    assert after["beta"].fingerprint != before["beta"].fingerprint
    assert after["alpha"].fingerprint == before["alpha"].fingerprint


@pytest.mark.parametrize("damage", [
    b"", b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"stamp": [], "models": {}}',
    b"STAMPED-BAD-MODELS", b"STAMPED-BAD-ATTRS", b"STAMPED-WRONG-TYPES", b"STAMPED-DEEP",
])
def test_a_damaged_cache_is_rebuilt_never_a_crash(fake_models, damage):
    package, folder = fake_models
    store = ManifestStore(package, folder)
    good = store.get()
    path = store.cache_file()
    stamp = store.source_stamp()
    if damage == b"STAMPED-BAD-MODELS":
        damage = json.dumps({"stamp": stamp, "models": {"alpha": 3}}).encode()
    elif damage == b"STAMPED-BAD-ATTRS":
        damage = json.dumps({"stamp": stamp, "models": {"alpha": {
            "module": f"{package}.alpha", "class": "Model_alpha", "fingerprint": "x",
            "attrs": {"name": "alpha", "keywords": {"zz": 1}}}}}).encode()
    elif damage == b"STAMPED-WRONG-TYPES":
        damage = json.dumps({"stamp": stamp, "models": {"alpha": {
            "module": "os", "class": "system", "fingerprint": "x",
            "attrs": {"name": "alpha", "keywords": {"t": []}, "category": "sfx"}}}}).encode()
    elif damage == b"STAMPED-DEEP":
        damage = ('{"stamp": ' + json.dumps(stamp) + ', "models": {"alpha": {"attrs": {"name": '
                  + '{"l": [' * 5000 + "]}" * 5000 + "}}}}").encode()
    path.write_bytes(damage)
    _forget_modules(package)
    assert ManifestStore(package, folder).get() == good
    assert json.loads(path.read_text())["stamp"] == stamp  # and the file is good again


def test_a_cache_that_cannot_be_read_or_written_only_costs_time(fake_models, tmp_path, monkeypatch):
    package, folder = fake_models
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(blocked))
    assert list(ManifestStore(package, folder).get()) == ["alpha"]


def test_a_model_edited_while_the_manifest_is_built_is_not_cached_as_current(fake_models, monkeypatch):
    package, folder = fake_models
    store = ManifestStore(package, folder)
    real_build = ManifestStore.build

    def build_during_an_edit(self):
        result = real_build(self)
        _write_model(folder, "alpha", "alpha", ("alpha", "edited meanwhile"))
        _bump(folder / "alpha.py")
        return result

    monkeypatch.setattr(ManifestStore, "build", build_during_an_edit)
    store.get()
    assert not store.cache_file().exists()


def test_two_models_with_one_name_are_refused(fake_models):
    package, folder = fake_models
    _write_model(folder, "alpha_again", "alpha", ("other",))
    with pytest.raises(RuntimeError, match="two sound models are named 'alpha'"):
        ManifestStore(package, folder).get()


def test_catalog_and_registry_read_like_the_old_dict(fake_models):
    package, folder = fake_models
    store = ManifestStore(package, folder)
    catalog, registry = Catalog(store), LazyRegistry(store)
    assert sorted(catalog) == sorted(registry) == ["alpha"] and len(registry) == 1
    assert "nope" not in catalog and catalog.get("nope") is None
    with pytest.raises(KeyError):
        registry["nope"]
    assert dict(registry.items())["alpha"].keywords == catalog["alpha"].keywords == ("alpha",)


# --------------------------------------------------------------------------- calibration keys

def _info(fingerprint: str) -> ModelInfo:
    return ModelInfo("scenefill.engine.models.rain", "Rain", fingerprint, dict(CATALOG["rain"].attributes()))


def test_a_changed_model_is_calibrated_again(monkeypatch):
    """The level cache keys on the model's source, not only on the engine version."""
    layer = LayerSpec(model="rain", category="ambience", phrase="rain", via="keyword")
    monkeypatch.setattr(calibration, "CATALOG", {"rain": _info("old-source")})
    old = calibration._key(layer, 48000, 2)
    monkeypatch.setattr(calibration, "CATALOG", {"rain": _info("new-source")})
    assert calibration._key(layer, 48000, 2) != old
    assert calibration._key(layer, 48000, 2) == calibration._key(layer, 48000, 2)


# --------------------------------------------------------------------------- what a render imports

def test_a_render_process_imports_only_the_models_it_plays(tmp_path):
    """The second process of a user (caches filled) loads the rain model and none of scipy's Python layers."""
    code = ("import sys\n"
            "sys.argv = ['scenefill', 'render', 'light rain', '--seconds', '0.5', '-q', '-o', sys.argv[1]]\n"
            "from scenefill.cli import main\n"
            "main()\n"
            "models = sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('scenefill.engine.models.'))\n"
            "heavy = sorted(m for m in ('scipy.fft', 'scipy.ndimage', 'scipy.special', 'scipy.linalg',\n"
            "                           'scipy.signal', 'scipy.stats') if m in sys.modules)\n"
            "print(models, heavy)\n")
    env = dict(os.environ, SCENEFILL_CACHE_DIR=str(tmp_path), XDG_CACHE_HOME=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path / f"r{i}.wav")], env=env,
                           capture_output=True, text=True, timeout=300) for i in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-2000:]
    models, heavy = runs[1].stdout.strip().splitlines()[-1].split("] [")
    assert "'rain'" in models and "'thunder'" not in models and "'music'" not in models, models
    assert heavy == "]", heavy
    assert len(model_manifest.manifest()) == len(CATALOG)
