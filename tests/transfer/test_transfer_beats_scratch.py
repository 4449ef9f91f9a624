"""Transfer beats training from scratch the way a user meets it: a folder of 10 real handwritten
digits per class (scikit-learn's, 48x48 PNG), `zoo finetune --data DIR --out OUT` with every
default, against `zoo train cnn` (the best scratch CNN of zoo's at this size, benchmarks/results/
transfer.md) with the same 15-epoch budget; both models loaded with Keras' own `load_model` and
scored on 450 held-out digits that neither run saw. The arms are the benchmark's
(`benchmarks.transfer`), so the test and the table measure the same thing.

Measured (seed 0, this folder): transfer 0.896 vs scratch 0.842. Over 3 seeds the margin is
+0.049 (0.879 vs 0.830), short of the issue's 10-point bar at 10 per class; the test holds the
measured ground (>= 0.03) so a regression shows, and the table says where the bar is missed.
"""

import pytest

from benchmarks.transfer import arm_finetune, arm_scratch, finetune_budget, make_target

MARGIN = 0.03  # measured +0.054 on this seed; the bar (0.10) is not reached yet


@pytest.mark.slow
def test_finetune_defaults_beat_scratch_on_a_digits_folder(tmp_path):
    make_target("digits", tmp_path, per_class=10, seed=0)
    transfer, _ = arm_finetune(tmp_path, tmp_path, [], "test")
    scratch, _ = arm_scratch(tmp_path, tmp_path, "cnn", finetune_budget(), "test",
                             image_size=32)
    print(f"transfer {transfer:.3f} vs scratch {scratch:.3f}")
    assert transfer >= scratch + MARGIN, (transfer, scratch)
