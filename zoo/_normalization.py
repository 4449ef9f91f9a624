"""BatchNormalization settings shared by zoo's blocks (`zoo.layers`) and builders (`zoo.models`).

Plain Python, no Keras: builder signatures name these as defaults, and the model modules are
imported by `zoo list`, which must not import Keras.

The moving statistics follow `moving = m * moving + (1 - m) * batch`, so after n steps a
fraction m**n of the initial (mean 0, variance 1) is left: with Keras' default m = 0.99 that is
0.99**176 = 17% after 8 epochs of 22 steps, and the inference-mode outputs of a freshly trained
ResNet are wrong (0.32 test accuracy for 0.99 train accuracy). Measured choice:
benchmarks/results/batchnorm_momentum.md.
"""

BN_MOMENTUM = 0.9  # PyTorch/timm's 0.1: the inference statistics keep up with a short training
