"""Transfer beats training from scratch the way a user meets it: a folder of 10 real handwritten
digits per class (scikit-learn's, 48x48 PNG), `zoo finetune --data DIR --out OUT` with every
default, against `zoo train cnn` (the best scratch CNN of zoo's at this size, benchmarks/results/
transfer.md) with the same 15-epoch budget; both models loaded with Keras' own `load_model` and
scored on 450 held-out digits that neither run saw. The arms are the benchmark's
(`benchmarks.transfer`), so the test and the table measure the same thing.

Measured on this seed (benchmarks/results/transfer.md has 3 seeds): see MARGIN below.
"""

import pytest

from benchmarks.transfer import arm_finetune, arm_scratch, finetune_budget, make_target

MARGIN = 0.10  # the bar at 10 images per class


@pytest.mark.slow
def test_finetune_defaults_beat_scratch_on_a_digits_folder(tmp_path):
    make_target("digits", tmp_path, per_class=10, seed=0)
    transfer, _ = arm_finetune(tmp_path, tmp_path, [], "test")
    scratch, _ = arm_scratch(tmp_path, tmp_path, "cnn", finetune_budget(), "test",
                             image_size=32)
    print(f"transfer {transfer:.3f} vs scratch {scratch:.3f}")
    assert transfer >= scratch + MARGIN, (transfer, scratch)
