"""Hyperparameter search with keras-tuner: hypermodels derived from builders, searches, resume."""

from zoo.tune.finetune_hypermodel import FINETUNE_SPACE, finetune_hypermodel
from zoo.tune.hypermodel import TRAINING_SPACE, hypermodel, search_space
from zoo.tune.search import TUNERS, check_dependencies, search

__all__ = ["FINETUNE_SPACE", "TRAINING_SPACE", "TUNERS", "check_dependencies",
           "finetune_hypermodel", "hypermodel", "search", "search_space"]
