"""PaddingMask hands a pooled sequence the mask of its token ids, so an LSTM skips padding."""

import keras
import numpy as np
import pytest

from zoo.layers import PaddingMask


def test_a_pooled_step_is_padding_only_when_all_its_ids_are():
    ids = np.array([[4, 0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 0, 0]])
    features = np.ones((2, 3, 5), "float32")  # pool 2 drops the 7th id, as MaxPooling1D does
    mask = np.asarray(PaddingMask(pool_size=2).compute_mask([features, ids]))
    assert mask.tolist() == [[True, False, False], [True, True, True]]
    np.testing.assert_array_equal(np.asarray(PaddingMask()([features, ids[:, :3]])), features)


def test_lstm_after_padding_mask_ignores_trailing_padding():
    ids_in = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(9, 4)(ids_in)
    x = keras.layers.Conv1D(4, 1)(x)
    x = PaddingMask(name="pm")([x, ids_in])
    model = keras.Model(ids_in, keras.layers.LSTM(3)(x))
    ids = np.array([[3, 1, 4, 1, 5]])
    np.testing.assert_allclose(model.predict(np.pad(ids, ((0, 0), (0, 6))), verbose=0),
                               model.predict(ids, verbose=0), atol=1e-6)


def test_config_round_trip_and_bad_pool_size():
    layer = PaddingMask(pool_size=3, padding_id=1, name="pm")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (clone.pool_size, clone.padding_id, clone.name) == (3, 1, "pm")
    with pytest.raises(ValueError, match="pool_size"):
        PaddingMask(pool_size=0)
