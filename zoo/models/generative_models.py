"""Generative model classes: `Autoencoder`, `VAE` and `GAN`, keras.Models made of sub-models.

The builders in `zoo.models.autoencoder` and `zoo.models.gan` return them; `zoo.custom_objects`
imports this module so that a `.keras` file naming "zoo>GAN" loads in safe mode. Each is a
functional model over its parts (so `output_shape`, `predict` and `summary` work as for any zoo
model) that keeps the parts as attributes (`encoder`/`decoder`, `generator`/`discriminator`)
and saves them as nested configs.

`VAE` and `GAN` train themselves: their `train_step` and `test_step` are written once with
`zoo.models.custom_steps` and run on TensorFlow (jit_compile on or off) and JAX. `zoo_compile`
turns zoo's training settings (an optimizer name and a learning rate) into their optimizers; it
is what `zoo.train.compile_model(model, task="generative")` calls.
"""

from zoo._lazy import keras
from zoo.layers.sampling import GaussianSampling, kl_divergence
from zoo.models import custom_steps

EVALUATION_SEED = 1234  # evaluation draws the same noise every time: scores compare across epochs


def _make_optimizer(optimizer, learning_rate, **adam_config):
    if not isinstance(optimizer, str):
        # a second copy: an optimizer instance belongs to one set of variables
        return optimizer.__class__.from_config(optimizer.get_config())
    config = {"learning_rate": learning_rate}
    if optimizer in ("adam", "adamw"):
        config.update(adam_config)
    return keras.optimizers.get({"class_name": optimizer, "config": config})


def _x_and_y(data):
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    return x, y


class _Composite:
    """get_config/from_config for a model whose constructor takes sub-models (`PARTS`)."""

    PARTS = ()
    OPTIONS = ()

    @property
    def parts(self) -> dict:
        """The sub-models this model trains, by name (every one changes in a training step)."""
        return {part: getattr(self, part) for part in self.PARTS}

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        config.update({o: getattr(self, o) for o in self.OPTIONS})
        config.update({p: keras.saving.serialize_keras_object(getattr(self, p))
                       for p in self.PARTS})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for part in cls.PARTS:
            config[part] = keras.saving.deserialize_keras_object(
                config[part], custom_objects=custom_objects)
        return cls(**config)


def _flat_inputs(model, prefix="inputs"):
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    dtypes = [t.dtype for t in model.inputs]
    names = [prefix] if len(shapes) == 1 else [f"{prefix}_{i}" for i in range(len(shapes))]
    inputs = [keras.Input(shape=s[1:], dtype=d, name=n)
              for s, d, n in zip(shapes, dtypes, names)]
    return inputs[0] if len(inputs) == 1 else inputs


@keras.saving.register_keras_serializable(package="zoo")
class Autoencoder(_Composite, keras.Model):
    """`decoder(encoder(x))`, trained to reproduce `x` (zoo task "autoencoder": targets = inputs).

    With `noise_stddev > 0` it is a denoising autoencoder: gaussian noise corrupts the input in
    training only. `encoder` maps an image to its code (representation learning), `decoder` maps
    a code back to an image.
    """

    PARTS = ("encoder", "decoder")
    OPTIONS = ("noise_stddev", "seed")
    zoo_task = "autoencoder"  # zoo.train.fit uses the inputs as targets

    def __init__(self, encoder, decoder, noise_stddev=0.0, seed=None, **kwargs):
        inputs = _flat_inputs(encoder)
        x = inputs
        if noise_stddev > 0:
            x = keras.layers.GaussianNoise(noise_stddev, seed=seed, name="corrupt")(x)
        outputs = decoder(encoder(x))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.noise_stddev, self.seed = noise_stddev, seed

    def encode(self, x, batch_size=256):
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)

    def decode(self, codes, batch_size=256):
        return self.decoder.predict(codes, batch_size=batch_size, verbose=0)


@keras.saving.register_keras_serializable(package="zoo")
class VAE(_Composite, keras.Model):
    """Variational autoencoder: `encoder(x) -> [mean, log_var]`, a reparameterised draw
    `z`, `decoder(z) -> x'`; trained on the negative ELBO (zoo task "generative").

    `loss` = `reconstruction_loss` (Bernoulli negative log-likelihood, nats per image) +
    `beta` * `kl_loss` (KL to the N(0, I) prior); all three are reported. `predict` decodes the
    posterior mean (deterministic); `sample(n)` decodes draws from the prior.
    """

    PARTS = ("encoder", "decoder")
    OPTIONS = ("beta", "seed")
    zoo_task = "generative"

    def __init__(self, encoder, decoder, beta=1.0, seed=None, **kwargs):
        inputs = _flat_inputs(encoder)
        mean, log_var = encoder(inputs)
        z = GaussianSampling(seed=seed, name="sampling")([mean, log_var])
        super().__init__(inputs=inputs, outputs=decoder(z), **kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.beta, self.seed = beta, seed
        self.sampling = self.get_layer("sampling")
        self.prior_seed = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.input_shape[-1])

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def zoo_compile(self, *, optimizer="adam", learning_rate=1e-3, jit_compile="auto",
                    **compile_kwargs):
        if isinstance(optimizer, str):
            optimizer = _make_optimizer(optimizer, learning_rate)
        self.compile(optimizer=optimizer, jit_compile=jit_compile, **compile_kwargs)
        return self

    def _elbo_terms(self, x, *, training, seed=None):
        ops = keras.ops
        mean, log_var = self.encoder(x, training=training)
        z = self.sampling([mean, log_var], training=True, seed=seed)
        reconstruction = self.decoder(z, training=training)
        pixel_axes = tuple(range(1, len(x.shape)))
        nll = ops.sum(ops.binary_crossentropy(x, reconstruction), axis=pixel_axes)
        return ops.mean(nll), ops.mean(kl_divergence(mean, log_var))

    def _report(self, reconstruction, kl):
        self.loss_tracker.update_state(reconstruction + self.beta * kl)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def _train_body(self, data):
        x, _ = _x_and_y(data)

        def loss_fn():
            reconstruction, kl = self._elbo_terms(x, training=True)
            return reconstruction + self.beta * kl, (reconstruction, kl)

        _, (reconstruction, kl) = custom_steps.minimize(loss_fn, self.trainable_variables,
                                                        self.optimizer)
        return self._report(reconstruction, kl)

    def _test_body(self, data):
        x, _ = _x_and_y(data)
        return self._report(*self._elbo_terms(x, training=False, seed=EVALUATION_SEED))

    def train_step(self, *args):
        return custom_steps.run_step(self, self._train_body, args)

    def test_step(self, *args):
        return custom_steps.run_step(self, self._test_body, args, training=False)

    def encode(self, x, batch_size=256):
        """The posterior means of `x` (the codes to use as features)."""
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)[0]

    def decode(self, codes, batch_size=256):
        return self.decoder.predict(codes, batch_size=batch_size, verbose=0)

    def sample(self, n, seed=None):
        """`n` images decoded from prior draws z ~ N(0, I), as a NumPy array."""
        z = keras.random.normal((n, self.latent_dim),
                                seed=self.prior_seed if seed is None else seed)
        return self.decode(keras.ops.convert_to_numpy(z))


@keras.saving.register_keras_serializable(package="zoo")
class OptimizerPair(keras.optimizers.Optimizer):
    """Two optimizers seen as one by Keras' trainers: `variables` holds both sets, so JAX's
    stateless `fit` carries the state of each. Built by `GAN.compile`; not for direct use."""

    def __init__(self, discriminator_optimizer, generator_optimizer, name="gan_optimizers",
                 **kwargs):
        super().__init__(learning_rate=0.0, name=name)
        self.discriminator_optimizer = discriminator_optimizer
        self.generator_optimizer = generator_optimizer
        self.built = True

    @property
    def variables(self):
        return self.discriminator_optimizer.variables + self.generator_optimizer.variables

    @property
    def iterations(self):
        return self.generator_optimizer.iterations

    def build(self, variables):
        self.built = True

    def finalize_variable_values(self, var_list):
        pass

    def get_config(self):
        return {"name": self.name,
                "discriminator_optimizer": keras.saving.serialize_keras_object(
                    self.discriminator_optimizer),
                "generator_optimizer": keras.saving.serialize_keras_object(
                    self.generator_optimizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("discriminator_optimizer", "generator_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


GAN_LOSSES = ("bce", "wasserstein")


@keras.saving.register_keras_serializable(package="zoo")
class GAN(_Composite, keras.Model):
    """A generator trained against a discriminator (zoo task "generative").

    As a functional model it IS the generator: inputs are noise `(latent_dim,)` (plus integer
    class labels when conditional), outputs are images. `loss="bce"` is the DCGAN game
    (non-saturating generator loss; the discriminator outputs logits); `loss="wasserstein"` is
    WGAN-GP (a critic, `gradient_penalty` * (||grad critic(x_hat)|| - 1)^2 on random
    interpolates, `discriminator_steps` critic updates per generator update). Each step reports
    `d_loss` and `g_loss`. The training data are images, plus labels when conditional.
    """

    PARTS = ("generator", "discriminator")
    OPTIONS = ("loss", "gradient_penalty", "discriminator_steps", "seed")
    zoo_task = "generative"

    def __init__(self, generator, discriminator, loss="bce", gradient_penalty=10.0,
                 discriminator_steps=1, seed=None, **kwargs):
        if loss not in GAN_LOSSES:
            raise ValueError(f"GAN: loss must be one of {GAN_LOSSES}, got {loss!r}")
        inputs = _flat_inputs(generator)
        super().__init__(inputs=inputs, outputs=generator(inputs), **kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.loss, self.gradient_penalty = loss, gradient_penalty
        self.discriminator_steps, self.seed = discriminator_steps, seed
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def conditional(self) -> bool:
        return len(self.generator.inputs) == 2

    @property
    def num_labels(self):
        """How many label classes a conditional GAN draws (its label embedding's rows); None
        when unconditional."""
        if not self.conditional:
            return None
        return int(self.generator.get_layer("label_embedding").input_dim)

    @property
    def latent_dim(self) -> int:
        shape = self.generator.input_shape
        return int((shape[0] if isinstance(shape, list) else shape)[-1])

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    # Adam betas: Radford et al. (DCGAN) use beta_1=0.5; Gulrajani et al. (WGAN-GP) 0.0 and 0.9
    def _adam_config(self):
        if self.loss == "wasserstein":
            return {"beta_1": 0.0, "beta_2": 0.9}
        return {"beta_1": 0.5, "beta_2": 0.999}

    def zoo_compile(self, *, optimizer="adam", learning_rate=2e-4, jit_compile="auto",
                    **compile_kwargs):
        """Compile with one optimizer of kind `optimizer` for each network."""
        if isinstance(optimizer, OptimizerPair):  # a resumed run keeps both optimizers' state
            self.compile(discriminator_optimizer=optimizer.discriminator_optimizer,
                         generator_optimizer=optimizer.generator_optimizer,
                         jit_compile=jit_compile, **compile_kwargs)
            return self
        adam = self._adam_config()
        self.compile(discriminator_optimizer=_make_optimizer(optimizer, learning_rate, **adam),
                     generator_optimizer=_make_optimizer(optimizer, learning_rate, **adam),
                     jit_compile=jit_compile, **compile_kwargs)
        return self

    def compile(self, discriminator_optimizer="adam", generator_optimizer="adam",
                jit_compile="auto", **kwargs):
        self.discriminator_optimizer = keras.optimizers.get(discriminator_optimizer)
        self.generator_optimizer = keras.optimizers.get(generator_optimizer)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)
        self.generator_optimizer.build(self.generator.trainable_variables)
        super().compile(optimizer=OptimizerPair(self.discriminator_optimizer,
                                                self.generator_optimizer),
                        jit_compile=jit_compile, **kwargs)

    def get_compile_config(self):
        if not self.compiled:
            return None
        return {"discriminator_optimizer": keras.saving.serialize_keras_object(
                    self.discriminator_optimizer),
                "generator_optimizer": keras.saving.serialize_keras_object(
                    self.generator_optimizer)}

    def compile_from_config(self, config):
        self.compile(**{k: keras.saving.deserialize_keras_object(v) for k, v in config.items()})

    # --- one step -------------------------------------------------------------------------
    def _noise(self, batch, seed=None):
        return keras.random.normal((batch, self.latent_dim),
                                   seed=self.noise_seed if seed is None else seed)

    def _generate(self, z, labels, training):
        return self.generator([z, labels] if self.conditional else z, training=training)

    def _score(self, images, labels, training):
        return self.discriminator([images, labels] if self.conditional else images,
                                  training=training)

    def _critic_penalty(self, real, fake, labels, seed=None):
        ops = keras.ops
        batch = ops.shape(real)[0]
        eps_shape = (batch,) + (1,) * (len(real.shape) - 1)
        eps = keras.random.uniform(eps_shape, seed=self.noise_seed if seed is None else seed)
        mixed = eps * real + (1.0 - eps) * fake
        grads = custom_steps.input_gradient(lambda m: self._score(m, labels, True), mixed)
        norm = ops.sqrt(ops.sum(ops.square(grads), axis=tuple(range(1, len(real.shape)))) + 1e-12)
        return ops.mean(ops.square(norm - 1.0))

    def _discriminator_loss(self, real, labels, training, seed=None):
        ops = keras.ops
        fake = self._generate(self._noise(ops.shape(real)[0], seed), labels, training)
        real_score = self._score(real, labels, training)
        fake_score = self._score(fake, labels, training)
        if self.loss == "bce":  # -log sigmoid(D(x)) - log(1 - sigmoid(D(G(z))))
            return ops.mean(ops.softplus(-real_score)) + ops.mean(ops.softplus(fake_score))
        penalty = self._critic_penalty(real, fake, labels, seed)
        return (ops.mean(fake_score) - ops.mean(real_score)
                + self.gradient_penalty * penalty)

    def _generator_loss(self, batch, labels, training, seed=None):
        ops = keras.ops
        score = self._score(self._generate(self._noise(batch, seed), labels, training),
                            labels, training)
        if self.loss == "bce":  # non-saturating: -log sigmoid(D(G(z)))
            return ops.mean(ops.softplus(-score))
        return -ops.mean(score)

    def _images_and_labels(self, data):
        real, labels = _x_and_y(data)
        real = keras.ops.convert_to_tensor(real, dtype=self.compute_dtype)
        if not self.conditional:
            return real, None
        if labels is None:
            raise ValueError(f"{self.name}: a conditional GAN trains on (images, labels)")
        return real, keras.ops.reshape(keras.ops.convert_to_tensor(labels, "int32"), (-1, 1))

    def _train_body(self, data):
        real, labels = self._images_and_labels(data)
        for _ in range(self.discriminator_steps):
            d_loss, _ = custom_steps.minimize(
                lambda: (self._discriminator_loss(real, labels, True), ()),
                self.discriminator.trainable_variables, self.discriminator_optimizer)
        batch = keras.ops.shape(real)[0]
        g_loss, _ = custom_steps.minimize(
            lambda: (self._generator_loss(batch, labels, True), ()),
            self.generator.trainable_variables, self.generator_optimizer)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def _test_body(self, data):
        real, labels = self._images_and_labels(data)
        batch = keras.ops.shape(real)[0]
        if self.loss == "bce":
            d_loss = self._discriminator_loss(real, labels, False, seed=EVALUATION_SEED)
        else:  # the penalty needs gradients; evaluation reports the critic's distance only
            ops = keras.ops
            fake = self._generate(self._noise(batch, EVALUATION_SEED), labels, False)
            d_loss = (ops.mean(self._score(fake, labels, False))
                      - ops.mean(self._score(real, labels, False)))
        g_loss = self._generator_loss(batch, labels, False, seed=EVALUATION_SEED + 1)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, *args):
        return custom_steps.run_step(self, self._train_body, args)

    def test_step(self, *args):
        return custom_steps.run_step(self, self._test_body, args, training=False)

    # --- use --------------------------------------------------------------------------------
    def sample(self, n, seed=None, labels=None):
        """`n` generated images as a NumPy array; conditional models draw class
        `labels` (default: 0, 1, 2, ... cycling over the classes)."""
        import numpy as np

        z = keras.ops.convert_to_numpy(self._noise(n, seed))
        inputs = z
        if self.conditional:
            if labels is None:
                labels = np.arange(n) % self.num_labels
            inputs = [z, np.asarray(labels, dtype="int32").reshape(n, 1)]
        return self.generator.predict(inputs, batch_size=256, verbose=0)
