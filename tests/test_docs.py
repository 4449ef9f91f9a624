"""Every builder's docstring example runs and prints what it claims."""

import doctest

import pytest

import zoo
from zoo import registry

BUILDERS = sorted({registry.get(n).builder for n in zoo.list_models()},
                  key=lambda f: f.__module__ + "." + f.__name__)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda f: f.__name__)
def test_docstring_example_runs(builder):
    assert ">>>" in (builder.__doc__ or ""), f"{builder.__name__} has no Example"
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(builder, builder.__name__, globs={"zoo": zoo}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{builder.__name__}: {result.failed} doctest line(s) failed"
