"""Autoencoder family: dense and convolutional autoencoders (also denoising) and VAEs.

Each builder returns a `zoo.models.generative_models.Autoencoder` or `VAE`: a keras.Model whose
output is the reconstruction (`output_shape == (None, *input_shape)`), with the `encoder`
(image -> code; the VAE's gives `[mean, log_var]`) and the `decoder` (code -> image) as
separate models for representation learning. Pixels are expected in [0, 1] (sigmoid output).
"""

import math

from zoo import validation as check
from zoo._lazy import keras
from zoo.registry import Choice, Float, Int, Preset, register

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "swish", "tanh")

DENSE_SEARCH_SPACE = {
    "hidden_units": Choice(((64,), (128,), (128, 64), (256, 128))),
    "latent_dim": Int(2, 32),
    "activation": Choice(("relu", "elu", "gelu")),
}
CONV_SEARCH_SPACE = {
    "filters": Choice(((16, 32), (32, 64), (16,), (32,))),
    "latent_dim": Int(2, 32),
    "activation": Choice(("relu", "elu", "gelu")),
}


def _check_common(name, input_shape, latent_dim, activation, noise_stddev=0.0):
    input_shape = check.shape(name, "input_shape", input_shape)
    if None in input_shape:
        raise ValueError(f"{name}: input_shape must be fully known, got {input_shape}")
    check.integer(name, "latent_dim", latent_dim, min_value=1)
    check.choice(name, "activation", activation, ACTIVATIONS)
    check.number(name, "noise_stddev", noise_stddev, min_value=0.0)
    return input_shape


def _image_shape(name, input_shape, filters):
    return check.stage_image_shape(name, input_shape, len(filters))


def dense_encoder(input_shape, hidden_units, latent_dim, activation, *, heads=("code",),
                  name="encoder"):
    """Flatten -> Dense per hidden layer -> one linear Dense(latent_dim) per head name."""
    inputs = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
    outputs = [keras.layers.Dense(latent_dim, name=head)(x) for head in heads]
    return keras.Model(inputs, outputs[0] if len(outputs) == 1 else outputs, name=name)


def dense_decoder(output_shape, hidden_units, latent_dim, activation, *, name="decoder"):
    """Dense per hidden layer (reversed) -> sigmoid Dense(prod(shape)) -> Reshape."""
    inputs = keras.Input(shape=(latent_dim,), name="code")
    x = inputs
    for i, units in enumerate(reversed(hidden_units), start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
    x = keras.layers.Dense(math.prod(output_shape), activation="sigmoid", name="pixels")(x)
    outputs = keras.layers.Reshape(output_shape, name="image")(x)
    return keras.Model(inputs, outputs, name=name)


def conv_encoder(input_shape, filters, latent_dim, activation, *, heads=("code",),
                 name="encoder"):
    """[add channel] -> Conv2D(f, 3, stride 2) per stage -> Flatten -> Dense(latent_dim) per head."""
    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    if len(input_shape) == 2:
        x = keras.layers.Reshape((*input_shape, 1), name="add_channel")(x)
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation=activation,
                                name=f"conv_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = [keras.layers.Dense(latent_dim, name=head)(x) for head in heads]
    return keras.Model(inputs, outputs[0] if len(outputs) == 1 else outputs, name=name)


def conv_decoder(output_shape, filters, latent_dim, activation, *, name="decoder"):
    """Dense -> Reshape to the smallest map -> Conv2DTranspose(f, 3, stride 2) per stage
    (filters reversed) -> sigmoid Conv2D to the image's channels [-> drop channel]."""
    height, width, channels = (output_shape if len(output_shape) == 3 else (*output_shape, 1))
    stride = 2 ** len(filters)
    inputs = keras.Input(shape=(latent_dim,), name="code")
    small = (height // stride, width // stride, filters[-1])
    x = keras.layers.Dense(math.prod(small), activation=activation, name="project")(inputs)
    x = keras.layers.Reshape(small, name="to_map")(x)
    for i, f in enumerate(reversed(filters), start=1):
        x = keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation=activation,
                                         name=f"deconv_{i}")(x)
    x = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="pixels")(x)
    if len(output_shape) == 2:
        x = keras.layers.Reshape(output_shape, name="drop_channel")(x)
    return keras.Model(inputs, x, name=name)


@register(
    family="autoencoder", task="autoencoder", dataset="digits",
    search_space={**DENSE_SEARCH_SPACE, "noise_stddev": Float(0.0, 0.3, step=0.1)},
    presets={"denoising_autoencoder": Preset(
        noise_stddev=0.2,
        description="Denoising dense autoencoder: gaussian noise (stddev 0.2) corrupts the "
        "input in training; the codes it learns are more robust features.")},
)
def autoencoder(*, input_shape=(8, 8), hidden_units=(128,), latent_dim=16, activation="relu",
                noise_stddev=0.0, seed=None, name="autoencoder"):
    """Dense autoencoder: MLP encoder to a `latent_dim` code, mirrored MLP decoder, sigmoid pixels.

    Use it to compress small images or tabular features in [0, 1] into codes for a downstream
    model (`model.encoder`), or to denoise (`noise_stddev > 0` corrupts inputs in training).
    Trained with zoo task "autoencoder": targets are the inputs, binary cross-entropy loss.

    Example:
        >>> import zoo
        >>> model = zoo.build("autoencoder", input_shape=(8, 8), latent_dim=4)
        >>> model.output_shape, model.encoder.output_shape, model.decoder.output_shape
        ((None, 8, 8), (None, 4), (None, 8, 8))
    """
    input_shape = _check_common(name, input_shape, latent_dim, activation, noise_stddev)
    hidden_units = check.int_list(name, "hidden_units", hidden_units, min_len=0)
    check.seed(name, seed)
    from zoo.models.generative_models import Autoencoder

    return Autoencoder(
        dense_encoder(input_shape, hidden_units, latent_dim, activation),
        dense_decoder(input_shape, hidden_units, latent_dim, activation),
        noise_stddev=noise_stddev, seed=seed, name=name)


@register(
    family="autoencoder", task="autoencoder", dataset="digits",
    search_space={**CONV_SEARCH_SPACE, "noise_stddev": Float(0.0, 0.3, step=0.1)},
    presets={"conv_denoising_autoencoder": Preset(
        noise_stddev=0.2,
        description="Denoising convolutional autoencoder: gaussian noise (stddev 0.2) "
        "corrupts the input in training.")},
)
def conv_autoencoder(*, input_shape=(8, 8), filters=(16, 32), latent_dim=16, activation="relu",
                     noise_stddev=0.0, seed=None, name="conv_autoencoder"):
    """Convolutional autoencoder: stride-2 convs down to a `latent_dim` code, transposed convs up.

    Use it for images (H, W) or (H, W, C) whose sides are multiples of 2**len(filters); it
    keeps spatial structure a dense autoencoder must learn. `model.encoder` gives the codes.

    Example:
        >>> import zoo
        >>> model = zoo.build("conv_autoencoder", input_shape=(16, 16, 1), filters=(8, 16))
        >>> model.output_shape, model.encoder.output_shape
        ((None, 16, 16, 1), (None, 16))
    """
    input_shape = _check_common(name, input_shape, latent_dim, activation, noise_stddev)
    filters = check.int_list(name, "filters", filters)
    _image_shape(name, input_shape, filters)
    check.seed(name, seed)
    from zoo.models.generative_models import Autoencoder

    return Autoencoder(
        conv_encoder(input_shape, filters, latent_dim, activation),
        conv_decoder(input_shape, filters, latent_dim, activation),
        noise_stddev=noise_stddev, seed=seed, name=name)


VAE_HEADS = ("z_mean", "z_log_var")


@register(family="autoencoder", task="generative", dataset="digits",
          search_space={**DENSE_SEARCH_SPACE, "beta": Float(0.5, 2.0, step=0.5)})
def vae(*, input_shape=(8, 8), hidden_units=(128,), latent_dim=8, activation="relu", beta=1.0,
        seed=None, name="vae"):
    """Variational autoencoder (dense): a Gaussian posterior over a `latent_dim` code, a
    Bernoulli decoder, trained on the negative ELBO; `sample(n)` draws new images.

    Use it when you want a smooth latent space to sample and interpolate in, or a likelihood
    bound (nats per image) to compare models. Reports `loss`, `reconstruction_loss` and
    `kl_loss`; `beta` weights the KL term (beta-VAE). Trained with zoo task "generative".

    Example:
        >>> import zoo
        >>> model = zoo.build("vae", input_shape=(8, 8), latent_dim=2)
        >>> model.output_shape, [s for s in model.encoder.output_shape]
        ((None, 8, 8), [(None, 2), (None, 2)])
        >>> model.sample(3, seed=0).shape
        (3, 8, 8)
    """
    input_shape = _check_common(name, input_shape, latent_dim, activation)
    hidden_units = check.int_list(name, "hidden_units", hidden_units, min_len=0)
    check.number(name, "beta", beta, min_value=0.0)
    check.seed(name, seed)
    from zoo.models.generative_models import VAE

    return VAE(
        dense_encoder(input_shape, hidden_units, latent_dim, activation, heads=VAE_HEADS),
        dense_decoder(input_shape, hidden_units, latent_dim, activation),
        beta=beta, seed=seed, name=name)


@register(family="autoencoder", task="generative", dataset="digits",
          search_space={**CONV_SEARCH_SPACE, "beta": Float(0.5, 2.0, step=0.5)})
def conv_vae(*, input_shape=(8, 8), filters=(16, 32), latent_dim=8, activation="relu",
             beta=1.0, seed=None, name="conv_vae"):
    """Variational autoencoder (convolutional): stride-2 conv encoder to `[mean, log_var]`,
    transposed-conv decoder; negative-ELBO training, `sample(n)` from the prior.

    Use it for images whose sides are multiples of 2**len(filters), as `vae` for flat inputs.

    Example:
        >>> import zoo
        >>> model = zoo.build("conv_vae", input_shape=(16, 16, 1), filters=(8, 16))
        >>> model.output_shape, model.decoder.input_shape
        ((None, 16, 16, 1), (None, 8))
    """
    input_shape = _check_common(name, input_shape, latent_dim, activation)
    filters = check.int_list(name, "filters", filters)
    _image_shape(name, input_shape, filters)
    check.number(name, "beta", beta, min_value=0.0)
    check.seed(name, seed)
    from zoo.models.generative_models import VAE

    return VAE(
        conv_encoder(input_shape, filters, latent_dim, activation, heads=VAE_HEADS),
        conv_decoder(input_shape, filters, latent_dim, activation),
        beta=beta, seed=seed, name=name)
