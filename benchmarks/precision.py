"""Training steps/s in mixed_bfloat16 (and mixed_float16) against float32, per family: the
figures behind zoo's precision table (`zoo.train.policy.PRECISION`).

    python -m benchmarks.precision [--steps 40] [--repeats 5] [--policies mixed_bfloat16]

Each line ends in the ratio (mixed / float32 steps per second; > 1: mixed precision is faster).
The models are those of the XLA-policy benchmark, built by zoo inside `precision_scope`, compiled
by zoo (its XLA policy), timed A/B alternated after a warm-up.
Measured on a 2-core CPU (TF 2.21; `--steps 20 --repeats 3`, the machine shared with other
work, load ~4, so noisy): mixed_bfloat16 vs float32 mlp 25.0 vs 26.2 ms/step (ratio 1.05, a tie),
cnn 526 vs 131 ms/step (0.25), rnn 77 vs 30 ms/step (0.39): float32 on CPU.
"""

import argparse

import numpy as np


PRECISION_FAMILIES = ("mlp", "cnn", "rnn")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--policies", nargs="+", default=["mixed_bfloat16"],
                        choices=("mixed_bfloat16", "mixed_float16"))
    args = parser.parse_args(argv)

    import keras

    import zoo
    from benchmarks.harness import StepTimer, alternate, random_batch, versions
    from benchmarks.suite import FAMILY_CASES
    from zoo.train.policy import precision_scope

    print(versions(), flush=True)
    for label in PRECISION_FAMILIES:  # the families zoo.train.policy.PRECISION was measured on
        name, overrides, shape, classes, batch, vocab = FAMILY_CASES[label]
        x = random_batch((batch * 4,) + shape, high=vocab, dtype="int32" if vocab else "float32")
        y = np.random.default_rng(1).integers(0, classes, size=(batch * 4,))
        timers = {}
        for policy in ("float32", *args.policies):
            keras.utils.set_random_seed(0)
            with precision_scope(policy):
                model = zoo.build(name, **overrides)
            zoo.train.compile_model(model, task="classification")
            timers[policy] = StepTimer(model, x, y, batch_size=batch, steps=args.steps)
        for policy in args.policies:
            s_mixed, s_float = alternate(timers[policy], timers["float32"], repeats=args.repeats)
            print(f"precision/{label}: {policy} {1000 * s_mixed:.2f} ms/step, float32 "
                  f"{1000 * s_float:.2f} ms/step, ratio {s_float / s_mixed:.2f}", flush=True)


if __name__ == "__main__":
    main()
