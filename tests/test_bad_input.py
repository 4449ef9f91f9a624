"""Bad input gets a clear ValueError: property-based draws over every builder's arguments, and a
seeded `zoo train` is bit-for-bit reproducible on CPU."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zoo
from zoo import cli, registry

# deliberately wrong values of every kind a user might type
JUNK = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.floats(min_value=-2.0, max_value=2.0),
    st.just(float("nan")),
    st.sampled_from(["", "relu", "max", "same", "lstm", "bogus", "none"]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(min_value=-2, max_value=8), max_size=3).map(tuple),
)


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo.list_models())
def test_every_draw_builds_or_raises_value_error(name):
    params = sorted(k for k in registry.get(name).defaults if k != "input_shape")

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data):
        key = data.draw(st.sampled_from(params), label="parameter")
        value = data.draw(JUNK, label="value")
        try:
            model = zoo.build(name, **{key: value})
        except ValueError as err:
            assert key in str(err) or name in str(err), f"unhelpful error: {err}"
            return
        assert model.count_params() >= 0

    check()


def test_seeded_zoo_train_gives_bit_identical_weights(tmp_path):
    weights = []
    for run in ("a", "b"):
        assert cli.main(["train", "mlp", "--epochs", "2", "--seed", "7", "--set",
                         "hidden_units=(32,)", "--out", str(tmp_path / run)]) == 0
        weights.append(zoo.load(tmp_path / run).get_weights())
    for w_a, w_b in zip(*weights):
        np.testing.assert_array_equal(w_a, w_b)
    assert cli.main(["train", "mlp", "--epochs", "2", "--seed", "8", "--set",
                     "hidden_units=(32,)", "--out", str(tmp_path / "c")]) == 0
    other = zoo.load(tmp_path / "c").get_weights()
    assert not all(np.array_equal(a, c) for a, c in zip(weights[0], other))


@pytest.mark.parametrize("mutate, message", [
    (lambda x, y: (x[:0], y[:0]), r"the train split is empty"),
    (lambda x, y: (x[:, :, :6], y), r"inputs have shape \(8, 6\) per example but the model "
                                    r"'mlp' expects \(8, 8\)"),
    (lambda x, y: (x, y + 5), r"labels range over 5..14 but the model 'mlp' has 10 output"),
    (lambda x, y: (x, y - 1), r"labels range over -1..8"),
    (lambda x, y: (x, y + 0.5), r"labels must be integer class ids 0..9"),
    (lambda x, y: (np.where(x > 0.9, np.nan, x), y), r"inputs hold \d+ NaN/inf"),
])
def test_training_data_errors_name_the_problem(mutate, message):
    data = zoo.data.digits(as_numpy=True)
    x, y = mutate(*data.train)
    bad = zoo.data.Splits(train=(x, y), validation=data.validation, test=data.test,
                          info=data.info)
    with pytest.raises(ValueError, match=message):
        zoo.train(zoo.build("mlp"), bad, epochs=1, verbose=0)
