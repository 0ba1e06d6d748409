"""One loss definition for every split (issue 19 §3): the loss includes the L2 penalty Keras
minimises, on train, validation and test alike, and the plain cross-entropy is kept beside it.
Before, train/validation losses came from Keras (with the penalty) and the test loss was plain
cross-entropy (lr 2: validation 0.575 vs test 0.310 = test CE 0.310 + penalty 0.273)."""

from __future__ import annotations

import numpy as np
import pytest
from dataclasses import replace

L2 = 0.01


@pytest.fixture(scope="module")
def trained():
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model.presets import build_model, default_config
    from reprviz_gui.core.model.training import TrainConfig, evaluate, train

    dataset = load_dataset("digits")
    config = replace(default_config("sigmoid-mlp"), l2=L2)
    model = build_model(config, dataset, seed=0)
    tc = TrainConfig(epochs=3, batch_size=64, seed=0)
    result = train(model, dataset, tc)
    ev = evaluate(model, dataset, "test", validation=result)
    # the penalty from the weights, in numpy: λ·ΣW² over every regularised kernel
    kernels = [layer.get_weights()[0] for layer in model.layers if layer.get_weights()]
    penalty = L2 * sum(float(np.sum(np.asarray(k, np.float64) ** 2)) for k in kernels)
    return dataset, config, tc, result, ev, penalty


def test_loss_minus_cross_entropy_is_the_numpy_penalty(trained):
    dataset, config, tc, result, ev, penalty = trained
    assert penalty > 0.01  # the penalty is not negligible here
    assert ev.penalty == pytest.approx(penalty, rel=1e-4)
    for split in ("train", "validation", "test"):
        assert ev.loss[split] - ev.cross_entropy[split] == pytest.approx(penalty, rel=1e-4)
    # the cross-entropy is the mean -log p(true class), computed here again
    p = ev.probabilities[np.arange(len(ev.labels)), ev.labels]
    assert ev.cross_entropy["test"] == pytest.approx(-np.log(np.clip(p, 1e-7, 1)).mean(),
                                                     rel=1e-5)
    # Keras's last val_loss holds the same penalty (the history keeps it to take apart)
    assert result.history["penalty"][-1] == pytest.approx(penalty, rel=1e-4)
    assert result.history["val_loss"][-1] == pytest.approx(ev.loss["validation"], rel=1e-3)


def test_the_run_history_row_has_one_definition_and_the_cross_entropy_beside(trained):
    from reprviz_gui.core.io.history import record_from_run

    dataset, config, tc, result, ev, penalty = trained
    r = record_from_run(dataset="digits", train_config=tc, result=result, config=config,
                        evaluation=ev)
    assert r.l2_penalty == pytest.approx(penalty, rel=1e-4)
    for loss, ce in ((r.train_loss, r.train_cross_entropy), (r.val_loss, r.val_cross_entropy),
                     (r.test_loss, r.test_cross_entropy)):
        assert loss - ce == pytest.approx(penalty, rel=1e-4)


def test_no_such_layer_names_the_raw_projections_too(trained):
    """Raw layers are layers for --layer: the message listing the layers names them too."""
    from reprviz_gui.core.errors import ReprvizError
    from reprviz_gui.core.model.extraction import resolve_layer
    from reprviz_gui.core.model.presets import build_model

    dataset, config, *_ = trained
    model = build_model(config, dataset, seed=0)
    with pytest.raises(ReprvizError) as err:
        resolve_layer(model, "hidden_9")
    assert "raw projections: hidden_1:raw, output:raw" in str(err.value)
    assert resolve_layer(model, "hidden_1:raw") == "hidden_1:raw"
