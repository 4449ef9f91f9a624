"""Argument validation shared by builders: each error names the model, the parameter, the bad
value and what is allowed."""

from collections.abc import Sequence


def choice(model: str, param: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{model}: {param} must be one of {list(allowed)}, got {value!r}")


def integer(model: str, param: str, value, *, min_value=None, max_value=None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{model}: {param} must be an int, got {value!r}")
    _in_range(model, param, value, min_value, max_value)


def number(model: str, param: str, value, *, min_value=None, max_value=None, max_exclusive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{model}: {param} must be a number, got {value!r}")
    if max_exclusive and max_value is not None and value >= max_value:
        raise ValueError(f"{model}: {param} must be < {max_value}, got {value!r}")
    _in_range(model, param, value, min_value, None if max_exclusive else max_value)


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
