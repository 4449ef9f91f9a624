"""BatchNormalization settings shared by zoo's blocks (`zoo.layers`) and builders (`zoo.models`).

Plain Python, no Keras: builder signatures name these as defaults, and the model modules are
imported by `zoo list`, which must not import Keras.

The moving statistics follow `moving = m * moving + (1 - m) * batch`, so after n steps a
fraction m**n of the initial (mean 0, variance 1) is left: with Keras' default m = 0.99 that is
0.99**176 = 17% after 8 epochs of 22 steps, and a ResNet-20 fitted so on 1,400 digits scores
0.65 on the others in inference mode for 0.98 with its batches' statistics (0.976 at 0.9).
Measured on two datasets and six models: benchmarks/results/batchnorm_momentum.md.
"""

BN_MOMENTUM = 0.9  # PyTorch/timm's 0.1: the inference statistics keep up with a short training
