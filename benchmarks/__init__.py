"""zoo's benchmarks: `python -m benchmarks` (see benchmarks/__main__.py). Speed targets live here,
never in timed tests."""
