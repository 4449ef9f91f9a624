"""The run folder's PNG grids: a conditional GAN's latent walks use only the classes it has."""

import numpy as np
import pytest

import zoo
from zoo.train.sample_images import GenerativeImages


@pytest.mark.parametrize("num_labels", [2, 3])
def test_conditional_gan_latent_walk_draws_only_its_own_classes(num_labels, tmp_path):
    model = zoo.build("dcgan", input_shape=(8, 8), filters=(16, 8), latent_dim=8,
                      num_labels=num_labels, seed=0)
    assert model.num_labels == num_labels
    seen = []
    predict = model.generator.predict

    def recording_predict(inputs, **kwargs):
        seen.append(np.asarray(inputs[1]))
        return predict(inputs, **kwargs)

    model.generator.predict = recording_predict
    callback = GenerativeImages(tmp_path, np.zeros((20, 8, 8), "float32"))
    callback.set_model(model)
    callback.on_train_end()
    labels = np.concatenate([x.ravel() for x in seen])
    # four walks labelled 0, 1, 2, ... cycling over the classes (a label >= num_labels would
    # index past the label embedding)
    assert set(labels) == set(range(min(4, num_labels)))
    assert labels.max() < num_labels
    assert (tmp_path / "latent_walk.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unconditional_gan_has_no_label_count():
    assert zoo.build("dcgan", input_shape=(8, 8), filters=(16, 8), latent_dim=8).num_labels is None
