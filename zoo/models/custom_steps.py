"""Custom training steps written once for the TensorFlow and JAX backends.

A model with its own `train_step` (a VAE, a GAN with two optimizers) writes the step body as
ordinary Keras code -- call sub-models, `minimize(loss_fn, variables, optimizer)`, update metric
trackers -- and routes `train_step`/`test_step` through `run_step`:

    def train_step(self, *args):
        return custom_steps.run_step(self, self._train_body, args)

TensorFlow calls the body directly (`tf.GradientTape` inside `minimize`; works with
`jit_compile` on or off). JAX hands the step a state tuple of variable values; `run_step` opens a
`keras.StatelessScope` mapping every variable to its value, so the same body runs as a pure
function under `jax.jit`, and `minimize` differentiates with `jax.value_and_grad`.
"""

from __future__ import annotations

from zoo._lazy import keras

# the state groups Keras' JAX trainer passes to each step kind, in its order
_JAX_TRAIN_GROUPS = ("trainable", "non_trainable", "optimizer", "metrics")
_JAX_TEST_GROUPS = ("trainable", "non_trainable", "metrics")


def _group_variables(model, group):
    if group == "trainable":
        return model.trainable_variables
    if group == "non_trainable":
        return model.non_trainable_variables
    if group == "optimizer":
        return model.optimizer.variables
    return model.metrics_variables


def run_step(model, body, args, *, training=True):
    """Run `body(data) -> logs` as `model`'s train (or test) step on the active backend.

    `args` are the arguments Keras passed to `train_step`/`test_step`: `(data,)` on TensorFlow,
    `(state, data)` on JAX, where the step must return `(logs, new_state)`.
    """
    if keras.backend.backend() != "jax":
        return body(*args)
    state, data = args
    groups = _JAX_TRAIN_GROUPS if training else _JAX_TEST_GROUPS
    variables = [list(_group_variables(model, g)) for g in groups]
    mapping = [(v, value) for vs, values in zip(variables, state) for v, value in zip(vs, values)]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = body(data)
    new_state = tuple(
        [_current(scope, v, value) for v, value in zip(vs, values)]
        for vs, values in zip(variables, state)
    )
    return logs, new_state


def _current(scope, variable, default):
    value = scope.get_current_value(variable)
    return default if value is None else value


def minimize(loss_fn, variables, optimizer):
    """One step of `optimizer` on `variables` down the gradient of `loss_fn() -> (loss, aux)`.

    Returns `(loss, aux)`. Other state `loss_fn` changes (batch-norm statistics, seed
    generators) is kept. Call it inside a step run by `run_step`.
    """
    variables = list(variables)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, aux = loss_fn()
        grads = tape.gradient(loss, variables)
        optimizer.apply(grads, variables)
        return loss, aux
    if backend != "jax":
        raise NotImplementedError(f"zoo custom steps support tensorflow and jax, not {backend}")
    import jax

    from keras.src.backend.common.stateless_scope import get_stateless_scope

    outer = get_stateless_scope()
    if outer is None:
        raise RuntimeError("minimize: on JAX, call it inside a step run by run_step")
    # every variable the outer scope knows, at its current value (StatelessScopes do not nest)
    known = {key: value for key, value in outer.state_mapping.items()}
    targets = {id(v) for v in variables}

    def pure(values):
        inner_mapping = dict(known)
        inner_mapping.update({id(v): value for v, value in zip(variables, values)})
        scope = keras.StatelessScope()
        scope.state_mapping = inner_mapping
        with scope:
            loss, aux = loss_fn()
        updates = {key: value for key, value in scope.state_mapping.items()
                   if key not in targets and value is not known.get(key)}
        return loss, (aux, updates)

    current = [outer.get_current_value(v) for v in variables]
    (loss, (aux, updates)), grads = jax.value_and_grad(pure, has_aux=True)(current)
    outer.state_mapping.update(updates)
    optimizer.apply(grads, variables)
    return loss, aux


def input_gradient(fn, x):
    """d sum(fn(x)) / dx on the active backend (e.g. a critic's gradient penalty)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = keras.ops.sum(fn(x))
        return tape.gradient(y, x)
    import jax

    return jax.grad(lambda value: keras.ops.sum(fn(value)))(x)
