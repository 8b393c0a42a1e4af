"""The public API is an artifact: ``dbsynth.__all__`` lists exactly what ``dbsynth`` exports.

Every name in ``__all__`` resolves (most are imported on first use) and is what ``from dbsynth
import *`` gives; every public name in the module's namespace is in ``__all__``; the names are
dbsynth's own objects, listed once and sorted.
"""

from __future__ import annotations

import inspect
import types

import pytest

import dbsynth


def test_every_name_in_all_resolves() -> None:
    missing = [name for name in dbsynth.__all__ if not hasattr(dbsynth, name)]
    assert missing == []


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from dbsynth import *", namespace)
    del namespace["__builtins__"]
    assert sorted(namespace) == sorted(dbsynth.__all__)
    assert all(namespace[name] is getattr(dbsynth, name) for name in dbsynth.__all__)


def test_every_public_name_is_in_all() -> None:
    for name in dbsynth.__all__:  # resolve the lazy ones, so they are in the namespace too
        getattr(dbsynth, name)
    public = {
        name
        for name, value in vars(dbsynth).items()
        # Submodules become attributes of the package once imported; they are not exports.
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(public) == sorted(n for n in dbsynth.__all__ if not n.startswith("_"))


def test_dir_lists_the_exports() -> None:
    assert set(dbsynth.__all__) <= set(dir(dbsynth))


def test_all_is_sorted_without_duplicates() -> None:
    assert dbsynth.__all__ == sorted(set(dbsynth.__all__))


def test_exports_are_dbsynth_objects() -> None:
    for name in dbsynth.__all__:
        value = getattr(dbsynth, name)
        if name == "__version__":
            assert isinstance(value, str) and value
            continue
        assert inspect.isclass(value) or inspect.isfunction(value), name
        assert value.__module__.startswith("dbsynth."), (name, value.__module__)
        assert value.__name__ == name, (name, value.__name__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError) as err:
        dbsynth.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    assert str(err.value) == "module 'dbsynth' has no attribute 'no_such_name'"
