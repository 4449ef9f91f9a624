"""GAN family: DCGAN and WGAN-GP, unconditional or class-conditional, for small images.

The builder returns a `GAN` (`zoo.models.generative_models`): as a keras.Model it is the
generator (noise, plus a class label when conditional, -> images in [0, 1];
`output_shape == (None, *input_shape)`), with `generator` and `discriminator` as attributes,
its own `train_step` (both losses reported) and `sample(n, seed=)`. `input_shape` is the
shape of the images it learns.
"""

from zoo import validation as check
from zoo._lazy import keras
from zoo._normalization import BN_MOMENTUM
from zoo.registry import Choice, Float, Int, Preset, register

GAN_LOSSES = ("bce", "wasserstein")

GAN_SEARCH_SPACE = {
    "filters": Choice(((64, 32), (128, 64), (32, 16))),
    "latent_dim": Int(8, 64, step=8),
    "dropout": Float(0.0, 0.4, step=0.1),
}


def _image_shape(name, input_shape, filters):
    return check.stage_image_shape(name, input_shape, len(filters))


def dcgan_generator(image_shape, filters, latent_dim, num_labels=None, *,
                    bn_momentum=BN_MOMENTUM, name="generator"):
    """Dense -> (H/2^n, W/2^n, filters[0]) -> [Conv2DTranspose(f, 4, stride 2) -> BN -> ReLU]
    per later filter -> sigmoid Conv2DTranspose to the channels (Radford et al., 2016); the
    batch norms have momentum `bn_momentum`."""
    height, width, channels = (image_shape if len(image_shape) == 3 else (*image_shape, 1))
    stride = 2 ** len(filters)
    noise = keras.Input(shape=(latent_dim,), name="noise")
    inputs, x = noise, noise
    if num_labels is not None:
        labels = keras.Input(shape=(1,), dtype="int32", name="labels")
        embedded = keras.layers.Embedding(num_labels, latent_dim, name="label_embedding")(labels)
        x = keras.layers.Concatenate(name="noise_and_label")(
            [noise, keras.layers.Flatten(name="label_flatten")(embedded)])
        inputs = [noise, labels]
    small = (height // stride, width // stride, filters[0])
    x = keras.layers.Dense(small[0] * small[1] * small[2], use_bias=False, name="project")(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name="project_bn")(x)
    x = keras.layers.ReLU(name="project_relu")(x)
    x = keras.layers.Reshape(small, name="to_map")(x)
    for i, f in enumerate(filters[1:], start=1):
        x = keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False,
                                         name=f"deconv_{i}")(x)
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"deconv_{i}_bn")(x)
        x = keras.layers.ReLU(name=f"deconv_{i}_relu")(x)
    x = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same",
                                     activation="sigmoid", name="pixels")(x)
    if len(image_shape) == 2:
        x = keras.layers.Reshape(image_shape, name="drop_channel")(x)
    return keras.Model(inputs, x, name=name)


def dcgan_discriminator(image_shape, filters, num_labels=None, dropout=0.0, *,
                        name="discriminator"):
    """[label map as an extra channel] -> Conv2D(f, 4, stride 2) -> LeakyReLU(0.2) per filter
    (reversed) -> Flatten -> [Dropout] -> Dense(1) logit. No batch norm: WGAN-GP's penalty
    is per example."""
    images = keras.Input(shape=image_shape, name="images")
    inputs, x = images, images
    height, width = image_shape[:2]
    if len(image_shape) == 2:
        x = keras.layers.Reshape((height, width, 1), name="add_channel")(x)
    if num_labels is not None:
        labels = keras.Input(shape=(1,), dtype="int32", name="labels")
        label_map = keras.layers.Embedding(num_labels, height * width, name="label_embedding")(
            labels)
        label_map = keras.layers.Reshape((height, width, 1), name="label_map")(label_map)
        x = keras.layers.Concatenate(name="image_and_label")([x, label_map])
        inputs = [images, labels]
    for i, f in enumerate(reversed(filters), start=1):
        x = keras.layers.Conv2D(f, 4, strides=2, padding="same", name=f"conv_{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv_{i}_leaky_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(1, name="score")(x)
    return keras.Model(inputs, x, name=name)


@register(
    family="gan", task="generative", dataset="digits", search_space=GAN_SEARCH_SPACE,
    presets={
        "conditional_dcgan": Preset(
            num_labels=10,
            description="Class-conditional DCGAN: generator and discriminator both see the "
            "class label; `sample(n, labels=...)` draws chosen classes."),
        "wgan_gp": Preset(
            loss="wasserstein", discriminator_steps=3, dropout=0.0,
            description="Wasserstein GAN with gradient penalty (Gulrajani et al., 2017): a "
            "critic instead of a classifier, steadier training than DCGAN's game."),
        "conditional_wgan_gp": Preset(
            loss="wasserstein", discriminator_steps=3, dropout=0.0, num_labels=10,
            description="Class-conditional WGAN-GP."),
    },
)
def dcgan(*, input_shape=(8, 8), filters=(64, 32), latent_dim=32, num_labels=None,
          loss="bce", gradient_penalty=10.0, discriminator_steps=1, dropout=0.2,
          bn_momentum=BN_MOMENTUM, seed=None, name="dcgan"):
    """Deep convolutional GAN: a transposed-conv generator against a strided-conv discriminator.

    Use it to learn to draw new small images (sides multiples of 2**len(filters)). The model
    IS the generator: `model(noise)` or `model.sample(n, seed=)` gives images in [0, 1];
    `model.discriminator` is kept for training and saved with it. `num_labels` makes it
    class-conditional (inputs `[noise, labels]`; train on `(images, labels)`);
    `loss="wasserstein"` with `gradient_penalty` and `discriminator_steps` makes it WGAN-GP.
    The generator's batch norms have momentum `bn_momentum` (`sample` runs in inference mode).
    Trained with zoo task "generative": Adam per network, `d_loss` and `g_loss` reported.

    Example:
        >>> import zoo
        >>> model = zoo.build("dcgan", input_shape=(8, 8), latent_dim=16)
        >>> model.output_shape, model.discriminator.output_shape
        ((None, 8, 8), (None, 1))
        >>> model.sample(4, seed=0).shape
        (4, 8, 8)
        >>> zoo.build("conditional_dcgan", input_shape=(16, 16, 1)).input_shape
        [(None, 32), (None, 1)]
    """
    input_shape = check.shape(name, "input_shape", input_shape)
    filters = check.int_list(name, "filters", filters)
    _image_shape(name, input_shape, filters)
    check.integer(name, "latent_dim", latent_dim, min_value=1)
    if num_labels is not None:
        check.integer(name, "num_labels", num_labels, min_value=2)
    check.choice(name, "loss", loss, GAN_LOSSES)
    check.number(name, "gradient_penalty", gradient_penalty, min_value=0.0)
    check.integer(name, "discriminator_steps", discriminator_steps, min_value=1)
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    check.bn_momentum(name, bn_momentum)
    check.seed(name, seed)
    from zoo.models.generative_models import GAN

    return GAN(
        dcgan_generator(input_shape, filters, latent_dim, num_labels, bn_momentum=bn_momentum),
        dcgan_discriminator(input_shape, filters, num_labels, dropout),
        loss=loss, gradient_penalty=gradient_penalty,
        discriminator_steps=discriminator_steps, seed=seed, name=name)
