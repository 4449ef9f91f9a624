"""Argument validation for every layer of zoo (builders, layers, data loaders, training): each
error names its owner (a model, a layer, a loader), the parameter, the bad value and what is
allowed, as `f"{owner}: {param} must be ..., got {value!r}"`. Plain Python, so any module may
import it."""

import numbers
from collections.abc import Sequence


def choice(model: str, param: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{model}: {param} must be one of {list(allowed)}, got {value!r}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)  # NumPy ints too


def integer(model: str, param: str, value, *, min_value=None, max_value=None) -> int:
    if not _is_int(value):
        raise ValueError(f"{model}: {param} must be an int, got {value!r}")
    _in_range(model, param, value, min_value, max_value)
    return int(value)


def at_least(owner: str, param: str, value, min_value: int, *, noun: str = "an integer") -> int:
    """An int >= min_value, returned as an int, in one message naming type and bound:
    "must be an integer >= 1, got 0" (builders' `integer` says the two apart)."""
    if not _is_int(value) or value < min_value:
        raise ValueError(f"{owner}: {param} must be {noun} >= {min_value}, got {value!r}")
    return int(value)


def number(model: str, param: str, value, *, min_value=None, max_value=None,
           min_exclusive=False, max_exclusive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{model}: {param} must be a number, got {value!r}")
    if min_exclusive and min_value is not None and not value > min_value:
        raise ValueError(f"{model}: {param} must be > {min_value}, got {value!r}")
    if max_exclusive and max_value is not None and not value < max_value:
        raise ValueError(f"{model}: {param} must be < {max_value}, got {value!r}")
    _in_range(model, param, value, None if min_exclusive else min_value,
              None if max_exclusive else max_value)


def _in_range(model, param, value, min_value, max_value):
    if min_value is not None and value < min_value:
        raise ValueError(f"{model}: {param} must be >= {min_value}, got {value!r}")
    if max_value is not None and value > max_value:
        raise ValueError(f"{model}: {param} must be <= {max_value}, got {value!r}")


def int_list(model: str, param: str, value, *, min_value=1, min_len=1) -> tuple:
    """A non-empty sequence of ints >= min_value, returned as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) < min_len:
        raise ValueError(
            f"{model}: {param} must be a list of at least {min_len} int(s), got {value!r}"
        )
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or v < min_value:
            raise ValueError(f"{model}: {param} must hold ints >= {min_value}, got {value!r}")
    return tuple(value)


def shape(model: str, param: str, value, *, min_rank=1, max_rank=None) -> tuple:
    """An input shape without batch dimension: positive ints (None allowed for lengths)."""
    ok = isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    ok = ok and all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)
                    for v in value)
    rank = len(value) if ok else -1
    if not ok or rank < min_rank or (max_rank is not None and rank > max_rank):
        ranks = f"{min_rank}" if max_rank == min_rank else f"{min_rank}..{max_rank or 'any'}"
        raise ValueError(
            f"{model}: {param} must be a tuple of positive ints of rank {ranks} "
            f"(no batch dimension), got {value!r}"
        )
    return tuple(value)


def num_classes(model: str, value) -> None:
    """None (features only), 1 (a single sigmoid/linear output) or more classes."""
    if value is not None:
        integer(model, "num_classes", value, min_value=1)


def bn_momentum(model: str, value) -> None:
    """A BatchNormalization momentum in [0, 1): 1 would freeze the moving statistics at (0, 1)."""
    number(model, "bn_momentum", value)
    if not 0.0 <= value < 1.0:  # written so that NaN fails too
        raise ValueError(f"{model}: bn_momentum must be in [0, 1), got {value!r}")


def seed(model: str, value) -> None:
    """None (fresh randomness) or a non-negative int."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 0):
        raise ValueError(f"{model}: seed must be None or an int >= 0, got {value!r}")


def stage_image_shape(model: str, input_shape, stages: int) -> tuple:
    """(H, W, C) for a network whose `stages` stride-2 stages halve (or double) the image: H and W
    must be multiples of 2**stages; a 2-D `input_shape` gets a channel axis."""
    if len(input_shape) not in (2, 3) or None in input_shape:
        raise ValueError(f"{model}: input_shape must be (H, W) or (H, W, C), got {input_shape}")
    stride = 2 ** stages
    if input_shape[0] % stride or input_shape[1] % stride:
        raise ValueError(
            f"{model}: height and width must be multiples of 2**len(filters)={stride} "
            f"(one stride-2 stage per filter), got input_shape={input_shape}")
    return tuple(input_shape) if len(input_shape) == 3 else (*input_shape, 1)


def image_size(owner: str, value, *, min_value: int) -> tuple[int, int]:
    """An int or a (height, width) pair of ints >= min_value -> (height, width)."""
    size = (value, value) if _is_int(value) else value
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(_is_int(side) and side >= min_value for side in size)):
        raise ValueError(f"{owner}: image_size must be an int or a (height, width) pair of ints "
                         f">= {min_value}, got {value!r}")
    return int(size[0]), int(size[1])


def split_fractions(owner: str, validation_split, test_split) -> None:
    """Two fractions in [0, 1) that leave some training data."""
    for param, value in (("validation_split", validation_split), ("test_split", test_split)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{owner}: {param} must be a fraction in [0, 1), got {value!r}")
    if validation_split + test_split >= 1:
        raise ValueError(
            f"{owner}: validation_split + test_split must leave some training data (< 1), got "
            f"validation_split={validation_split}, test_split={test_split}")
