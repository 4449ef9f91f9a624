"""Saving and safe loading of models (`.keras`); SavedModel/TFLite/ONNX export and its parity
check (check.py) live in their own modules."""

from zoo.export.saving import load, save

__all__ = ["load", "save"]
