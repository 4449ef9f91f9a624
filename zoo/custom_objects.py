"""zoo's Keras custom objects (layers, model classes, metrics, schedules), registered with Keras
as soon as both zoo and Keras are imported, in either order.

A `.keras` file names zoo's classes (`"zoo>FireModule"`); plain `keras.saving.load_model` finds
them only if they were registered first. KerasHub registers by importing every class in
`import keras_hub`. zoo cannot: `import zoo` must stay free of Keras and TensorFlow so that
`zoo --help` and `zoo list` answer at once. So the registration is lazy:

- `import zoo` after Keras registers at once (`register_all()` at the end of `zoo/__init__`);
- `import zoo` before Keras installs an import hook (`install()`): when the `keras` package
  finishes importing, zoo's class modules are imported too. When a zoo module itself imported
  Keras (its top-level `import keras` while it is half executed), registering then would import
  modules that need that half-executed one; the hook then waits until no zoo module is being
  imported, and registers at the end of the outermost one.

After registering, the hook removes itself. A failure inside the hook warns instead of breaking
the user's `import keras`; `zoo.load` calls `register_all()` itself and so raises it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import warnings

# every module that defines a class decorated with register_keras_serializable(package="zoo")
MODULES = ("zoo.layers", "zoo.models.generative_models", "zoo.train.metrics",
           "zoo.train.schedules")

_registered = False
_pending = False  # Keras is imported but registration waits for a zoo module to finish


def register_all() -> None:
    """Import every module of `MODULES` (their decorators register the classes); idempotent."""
    global _registered, _pending
    if _registered:
        return
    _registered, _pending = True, False  # first: the imports below import keras themselves
    try:
        for module in MODULES:
            importlib.import_module(module)
    except BaseException:
        _registered = False
        raise
    _remove_hook()


def _zoo_module_initializing() -> bool:
    for name, module in list(sys.modules.items()):
        if name == "zoo" or name.startswith("zoo."):
            if getattr(getattr(module, "__spec__", None), "_initializing", False):
                return True
    return False


def _register_from_hook() -> None:
    global _pending
    if _registered:
        return
    if _zoo_module_initializing():
        _pending = True
        return
    try:
        register_all()
    except Exception as err:  # never break the user's own `import keras`
        warnings.warn(f"zoo could not register its Keras classes ({type(err).__name__}: {err}); "
                      "keras.saving.load_model will not find them. zoo.load raises the cause.",
                      RuntimeWarning, stacklevel=2)


class _Hook(importlib.abc.MetaPathFinder):
    """Wraps the loaders of `keras` and of zoo's own modules to register after they execute."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "keras" and not fullname.startswith("zoo."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            # keras: always; a zoo module: only when registration waits for it to finish
            if fullname == "keras" or _pending:
                module.__spec__._initializing = False  # this module is complete
                _register_from_hook()

        loader.exec_module = exec_then_register  # this module's own loader instance
        return spec


_hook = _Hook()


def install() -> None:
    """Register now if Keras is already imported, else when it is (see the module docstring)."""
    keras = sys.modules.get("keras")
    if _pending or (keras is not None
                    and not getattr(getattr(keras, "__spec__", None), "_initializing", False)):
        register_all()
    elif not _registered and _hook not in sys.meta_path:
        sys.meta_path.insert(0, _hook)


def _remove_hook() -> None:
    try:
        sys.meta_path.remove(_hook)
    except ValueError:
        pass
