"""A keras-tuner hypermodel for fine-tuning a backbone that keeps zoo's two-phase recipe.

Run it with `zoo.tune`'s tuners (they clear the Keras session between trials). keras-tuner's
own `HyperEfficientNet` trains the whole backbone from the first step with its
BatchNorm updating. Here every trial runs the recipe of `zoo.finetune`: phase 1 trains a new head
on the frozen backbone (called with `training=False`), phase 2 unfreezes the top `unfreeze_top`
layers with BatchNorm still frozen and a warm-up + cosine learning rate. What is searched: the
head's dropout, the phase-1 learning rate, the phase-2 peak rate (as a fraction of phase 1's) and
the unfreeze depth.
"""

from __future__ import annotations

from zoo.models.backbone_specs import get_spec
from zoo.registry import Choice, Float

FINETUNE_SPACE = {
    "dropout": Float(0.0, 0.5, step=0.1),
    "learning_rate": Float(3e-4, 3e-3, sampling="log"),
    "finetune_fraction": Choice((0.03, 0.1, 0.3)),  # phase-2 peak = learning_rate * fraction
    "unfreeze_top": Choice((0, 10, 30, 60)),  # 0: phase 2 trains the head only
}


def finetune_hypermodel(backbone: str = "zoo_mobilenet_synthetic", *, num_classes: int,
                        input_shape=None, input_range=(0.0, 1.0), phase1_epochs: int = 2,
                        warmup_epochs: int = 1, **fixed):
    """A `keras_tuner.HyperModel` whose trials fine-tune `backbone` in two phases.

    `fixed` holds any of FINETUNE_SPACE's hyperparameters constant (or narrows it with a
    `Float`/`Choice`). The tuner's `epochs` are phase 2's; `phase1_epochs` run before them.

    Example:
        >>> import keras_tuner
        >>> hm = zoo.tune.finetune_hypermodel(num_classes=3, input_shape=(32, 32, 3))
        >>> hm.build(keras_tuner.HyperParameters()).output_shape
        (None, 3)
    """
    import keras_tuner

    from zoo.tune.hypermodel import _validate_range

    spec = get_spec(backbone)  # an unknown backbone fails here, before any trial
    unknown = sorted(set(fixed) - set(FINETUNE_SPACE))
    if unknown:
        raise ValueError(f"finetune_hypermodel: cannot tune or fix {unknown}; "
                         f"allowed: {sorted(FINETUNE_SPACE)}")
    space = dict(FINETUNE_SPACE)
    constants = {}
    for key, value in fixed.items():
        if isinstance(value, (Float, Choice)):
            space[key] = value
        else:
            space.pop(key)
            constants[key] = value
    for key, value in space.items():
        _validate_range("finetune_hypermodel", key, value)
    shape = tuple(input_shape or (spec.default_size, spec.default_size, 3))

    class FinetuneHyperModel(keras_tuner.HyperModel):
        def _values(self, hp):
            values = dict(constants)
            for key, value in space.items():
                if isinstance(value, Choice):
                    values[key] = hp.Choice(key, list(value.values))
                else:
                    values[key] = hp.Float(key, value.min_value, value.max_value,
                                           step=value.step, sampling=value.sampling)
            return values

        def build(self, hp):
            from zoo.models.backbones import backbone as make_backbone, classifier
            from zoo.train import compile_model
            from zoo.transfer.freeze import freeze

            values = self._values(hp)
            base = make_backbone(backbone, input_shape=shape, trainable=False,
                                 input_range=tuple(input_range))
            model = classifier(base, num_classes=num_classes, dropout=values["dropout"],
                               name=f"{backbone}_finetuned")
            compile_model(model, learning_rate=values["learning_rate"])
            freeze(model, verbose=False)
            return model

        def fit(self, hp, model, x, y, *, epochs=2, validation_data=None, callbacks=None,
                batch_size=32, **kwargs):
            import keras

            from zoo.transfer.freeze import unfreeze

            values = self._values(hp)
            # phase 1: the head alone; the tuner's callbacks watch phase 2 only
            model.fit(x, y, epochs=phase1_epochs, batch_size=batch_size,
                      validation_data=validation_data, verbose=kwargs.get("verbose", 0))
            steps = -(-len(x) // batch_size)
            peak = values["learning_rate"] * values["finetune_fraction"]
            schedule = keras.optimizers.schedules.CosineDecay(
                0.0, steps * epochs, warmup_target=peak,
                warmup_steps=steps * min(warmup_epochs, epochs))
            unfreeze(model, top=int(values["unfreeze_top"]), learning_rate=schedule,
                     verbose=False)
            return model.fit(x, y, epochs=epochs, batch_size=batch_size,
                             validation_data=validation_data, callbacks=callbacks,
                             verbose=kwargs.get("verbose", 0))

    return FinetuneHyperModel(name=f"{backbone}_finetune", tunable=True)
