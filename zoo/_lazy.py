"""A module stand-in that imports the real module on first attribute access.

Model modules register their builders at import time; `zoo list` must not pay for importing
Keras (and TensorFlow behind it), so they refer to `keras` through this proxy.
"""

import importlib


class LazyModule:
    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self):
        return f"<lazy module {self._name!r}>"


keras = LazyModule("keras")
