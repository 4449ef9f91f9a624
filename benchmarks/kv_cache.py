"""Tokens per second of `gpt` generation with and without the key/value cache.

Without the cache every new token re-runs the model over the whole context (O(T^2) attention
per token in total O(T^3)); with it each token runs through the blocks alone against cached
keys/values. Both paths give the same tokens (tests/models/test_transformer.py).

    python -m benchmarks.kv_cache [--new-tokens 500] [--d-model 256] [--num-layers 4]

On TensorFlow the cached step is one tf.function, traced once per model (elsewhere it runs op
by op). `python -m benchmarks --only generation` on a 2-core CPU (tensorflow, 2026-12-02): 500 new
tokens, d_model 256, 4 layers: 19.5 tokens/s without the cache, 77.0 with it (3.96x). An earlier
run that day gave 108.9 vs 15.0, with the uncached contexts padded to power-of-two lengths (since
done only under XLA): the cached figure alone moved 30% between runs. Older figures here (245 vs
78) timed a fresh trace of the cached step inside every call, fixed since.
"""

import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt-tokens", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=500)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--num-layers", type=int, default=4)
    parser.add_argument("--vocab-size", type=int, default=97)
    parser.add_argument("--repeats", type=int, default=1, help="alternated runs (median)")
    args = parser.parse_args(argv)

    import keras

    from benchmarks.suite import generation

    (record,) = generation(steps=args.new_tokens, repeats=args.repeats,
                           prompt_tokens=args.prompt_tokens, d_model=args.d_model,
                           num_layers=args.num_layers, num_heads=args.num_heads,
                           vocab_size=args.vocab_size)
    print(f"backend {keras.backend.backend()}, {record.note}")
    print(f"without cache: {record.reference:8.1f} tokens/s")
    print(f"with KV cache: {record.zoo:8.1f} tokens/s")
    print(f"speed-up:      {record.ratio:8.2f}x   same tokens: {record.extra['same_tokens']}")


if __name__ == "__main__":
    main()
