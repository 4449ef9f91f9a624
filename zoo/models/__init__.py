"""Model families, one module each (dense, cnn, rnn, cnn_rnn, autoencoder, gan, transformer,
backbones), every one registering its builders with `zoo.registry`; beside them what the builders
share: model classes with their own train_step (generative_models.py) and its step helpers
(custom_steps.py), backbone specs, weights and feature maps, FLOPs counting and decoding."""
