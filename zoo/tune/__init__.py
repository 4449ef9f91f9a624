"""Hyperparameter search with keras-tuner: hypermodels derived from builders, searches, resume."""

from zoo.tune.hypermodel import TRAINING_SPACE, hypermodel, search_space
from zoo.tune.search import TUNERS, check_dependencies, search

__all__ = ["TRAINING_SPACE", "TUNERS", "check_dependencies", "hypermodel", "search",
           "search_space"]
