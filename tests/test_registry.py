"""The public API contract: list_models, build, model_info and their errors."""

import inspect

import pytest

import zoo
from zoo import registry
from zoo.registry import Choice, Preset, register


def test_list_models_filters_by_pattern_and_family():
    assert zoo.list_models("mlp*") == ["mlp", "mlp_regressor"]
    regressors = zoo.list_models("*regress*")
    assert "mlp_regressor" in regressors and all("regress" in n for n in regressors)
    assert set(zoo.list_models(family="dense")) >= {"mlp", "mlp_regressor"}
    assert zoo.list_models("no_such_*") == []
    with pytest.raises(ValueError, match="family must be one of .*got 'dnse'"):
        zoo.list_models(family="dnse")


def test_unknown_name_suggests_close_names():
    with pytest.raises(KeyError, match="Did you mean: mlp"):
        zoo.build("mpl")
    with pytest.raises(ValueError, match="unknown model 'mlpp'"):  # also a ValueError
        zoo.build("mlpp")


def test_unknown_override_names_parameter_value_and_allowed():
    with pytest.raises(ValueError, match=r"unknown hyperparameter dropuot=0.3\. Did you mean: "
                                         r"dropout\?.*Allowed: .*hidden_units"):
        zoo.build("mlp", dropuot=0.3)


@pytest.mark.parametrize("override, message", [
    ({"activation": "relux"}, r"activation must be one of \[.*'gelu'.*\], got 'relux'"),
    ({"dropout": 1.5}, r"dropout must be < 1.0, got 1.5"),
    ({"dropout": -0.1}, r"dropout must be >= 0.0, got -0.1"),
    ({"hidden_units": (64, 0)}, r"hidden_units must hold ints >= 1, got \(64, 0\)"),
    ({"hidden_units": "64"}, r"hidden_units must be a list"),
    ({"input_shape": (8, -1)}, r"input_shape must be a tuple of positive ints"),
    ({"num_classes": 0}, r"num_classes must be >= 1, got 0"),
    ({"kernel_initializer": "zeros"}, r"kernel_initializer must be one of"),
    ({"head": "ranking"}, r"head must be one of \['classification', 'regression'\]"),
    ({"l2": -1.0}, r"l2 must be >= 0.0, got -1.0"),
])
def test_bad_override_values_are_named(override, message):
    with pytest.raises(ValueError, match=message):
        zoo.build("mlp", **override)


def test_build_returns_uncompiled_model_named_after_entry():
    model = zoo.build("mlp", input_shape=(8, 8), num_classes=10)
    assert model.name == "mlp"
    assert model.output_shape == (None, 10)
    assert not model.compiled
    assert zoo.build("mlp_regressor").name == "mlp_regressor"
    assert zoo.build("mlp", name="my_mlp").name == "my_mlp"


def test_mlp_options_change_the_graph():
    plain = zoo.build("mlp", hidden_units=(32,), dropout=0.0)
    assert [type(layer).__name__ for layer in plain.layers] == [
        "Flatten", "Dense", "Activation", "Dense"]
    bn = zoo.build("mlp", hidden_units=(32, 16), batch_norm=True, dropout=0.5, l2=1e-4)
    kinds = [type(layer).__name__ for layer in bn.layers]
    assert kinds.count("BatchNormalization") == 2 and kinds.count("Dropout") == 2
    assert bn.get_layer("dense_1").use_bias is False  # batch norm re-centres
    assert len(bn.losses) == 3  # L2 on two hidden layers and the head
    binary = zoo.build("mlp", num_classes=1)
    assert binary.get_layer("predictions").activation.__name__ == "sigmoid"
    regressor = zoo.build("mlp", head="regression", num_classes=3)
    assert regressor.get_layer("predictions").activation.__name__ == "linear"
    features = zoo.build("mlp", num_classes=None, hidden_units=(32, 16))
    assert features.output_shape == (None, 16)


@pytest.mark.parametrize("activation, initializer", [
    ("relu", "HeNormal"), ("tanh", "GlorotUniform"), ("selu", "LecunNormal")])
def test_auto_initializer_matches_activation(activation, initializer):
    model = zoo.build("mlp", activation=activation)
    assert type(model.get_layer("dense_1").kernel_initializer).__name__ == initializer


def test_model_info_keys_and_param_count():
    info = zoo.model_info("mlp")
    assert info["family"] == "dense" and info["task"] == "classification"
    assert info["input_shape"] == (8, 8)
    # 64*256+256 + 256*128+128 + 128*10+10
    assert info["params"] == 64 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert info["defaults"]["activation"] == "relu"
    assert "name" not in info["defaults"]


def test_builders_follow_the_convention():
    seen = set()
    for name in zoo.list_models():
        entry = registry.get(name)
        if entry.builder in seen:
            continue
        seen.add(entry.builder)
        params = inspect.signature(entry.builder).parameters.values()
        assert all(p.kind is p.KEYWORD_ONLY for p in params), name
        for key in entry.search_space:
            assert key in entry.defaults, f"{name}: search space names unknown {key}"


def test_register_rejects_bad_builders():
    with pytest.raises(TypeError, match="keyword-only"):
        register(family="dense", task="classification")(lambda x, *, name="x": None)
    with pytest.raises(ValueError, match="family must be one of"):
        register(family="mlps", task="classification")

    def builder(*, width=1, name="b"):
        """A test builder."""

    with pytest.raises(TypeError, match="preset .* unknown parameters"):
        register(family="dense", task="classification", name="_t1",
                 presets={"_t1_big": {"depth": 3}})(builder)
    with pytest.raises(TypeError, match="search_space .* unknown"):
        register(family="dense", task="classification", name="_t2",
                 search_space={"depth": Choice((1, 2))})(builder)
    with pytest.raises(ValueError, match="already registered"):
        register(family="dense", task="classification", name="mlp")(builder)
    assert not zoo.list_models("_t*"), "a rejected builder must leave nothing registered"


def test_preset_carries_its_own_task_and_dataset():
    entry = registry.get("mlp_regressor")
    assert entry.task == "regression" and entry.dataset == "sequences:sine"
    assert entry.defaults["head"] == "regression"
    assert isinstance(Preset(task="x", width=2), dict)
