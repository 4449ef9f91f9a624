"""Saving and safe loading of models (`.keras`); SavedModel/TFLite export lives in its own modules."""

from zoo.export.saving import load, save

__all__ = ["load", "save"]
