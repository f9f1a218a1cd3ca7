"""Optimizer set-up: warmup then linear decay, and layer-wise learning-rate decay by depth."""

import json

import numpy as np
import pytest

from rasa_electra.model import model_spec
from rasa_electra.model.optimizer import layer_depth, optimizer_groups, warmup_linear_decay
from rasa_electra.model.training import epochs_for
from rasa_electra.model.training_config import TrainingConfig
from rasa_electra.model.weights import StartPointError


def test_schedule_warms_up_then_decays_to_zero():
    schedule = warmup_linear_decay(1e-3, total_steps=100, warmup_steps=10)
    assert float(schedule(0)) == 0.0
    assert float(schedule(5)) == pytest.approx(5e-4)
    assert float(schedule(10)) == pytest.approx(1e-3)
    assert float(schedule(55)) == pytest.approx(5e-4)
    assert float(schedule(100)) == 0.0


def test_small_data_gets_epochs_up_to_the_step_floor_and_large_data_keeps_its_epochs():
    floor = TrainingConfig(epochs=10, min_steps=300)
    assert epochs_for(floor, steps_per_epoch=4) == 75  # a bot: 110 messages, batch 32
    assert epochs_for(floor, steps_per_epoch=7) == 43  # rounded up: at least 300 steps
    assert epochs_for(floor, steps_per_epoch=220) == 10  # GSD train
    assert epochs_for(TrainingConfig(epochs=10), steps_per_epoch=4) == 10  # no floor: as asked
    assert epochs_for(floor, steps_per_epoch=0) == 10  # nothing to train on


def test_large_data_gets_whole_epochs_down_to_the_step_ceiling():
    bounds = TrainingConfig(epochs=10, min_steps=300, max_steps=1000)
    assert epochs_for(bounds, steps_per_epoch=220) == 4  # GSD train: 880 steps, not 2,200
    assert epochs_for(bounds, steps_per_epoch=4) == 75  # a bot still gets its floor
    assert epochs_for(bounds, steps_per_epoch=100) == 10  # in between: the epochs asked for
    assert epochs_for(bounds, steps_per_epoch=5000) == 1  # one epoch at least
    assert epochs_for(TrainingConfig(epochs=10), steps_per_epoch=5000) == 10  # no ceiling


def test_layer_depths():
    assert layer_depth("m/electra/embeddings/word_embeddings/weight:0", 2) == 0
    assert layer_depth("m/electra/encoder/layer_._1/output/dense/kernel:0", 2) == 2
    assert layer_depth("m/classifier/kernel:0", 2) == 3


def test_layerwise_decay_gives_lower_rates_to_lower_layers(pytorch_layout_dir):
    model = model_spec.get(pytorch_layout_dir).build_model(["O", "B-X", "I-X"])
    config = TrainingConfig(learning_rate=1e-3, warmup_ratio=0.1, layerwise_lr_decay=0.5)
    groups = optimizer_groups(model, model.trainable_variables, config, total_steps=100)
    peaks = [group.peak_rate for group in groups]
    assert peaks == pytest.approx(
        [1e-3 * 0.5**3, 1e-3 * 0.5**2, 1e-3 * 0.5, 1e-3]
    )  # emb, L0, L1, head
    covered = sorted(i for group in groups for i in group.indices)
    assert covered == list(range(len(model.trainable_variables)))  # every variable, once
    single = optimizer_groups(
        model, model.trainable_variables, TrainingConfig(learning_rate=1e-3), total_steps=100
    )
    assert len(single) == 1


def test_frozen_layers_keep_the_start_points_weights_and_the_layers_above_learn(
    pytorch_layout_dir, examples
):
    from rasa_electra.model import DataLoader, ner

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)

    def named(model) -> dict:  # without the model's own scope, which Keras numbers
        return {w.name.split("/", 1)[1]: w.numpy() for w in model.weights}

    start = named(spec.build_model(["O"]))
    train = DataLoader(examples, spec)
    model = ner.create(train, epochs=2, batch_size=8, learning_rate=3e-3, freeze_layers=1)
    layers = model.model.config.num_hidden_layers
    changed = {
        layer_depth(f"m/{name}", layers)
        for name, value in named(model.model).items()
        if name in start and value.shape == start[name].shape
        and not np.array_equal(value, start[name])
    }  # fmt: skip
    assert changed == {2}  # the second layer learnt; the embeddings and the first did not
    with pytest.raises(StartPointError, match="freeze_layers 3: the model has 2"):
        ner.create(train, epochs=1, batch_size=8, freeze_layers=3)


def test_a_short_fine_tuning_runs_without_graph_rewrites_and_leaves_the_setting_as_it_was(
    pytorch_layout_dir, examples
):
    import tensorflow as tf

    from rasa_electra.model import DataLoader, ner
    from rasa_electra.model.tf_runtime import graph_rewrites

    def disabled() -> bool:
        return tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)

    with graph_rewrites(False):
        assert disabled()
        with graph_rewrites(True):
            assert not disabled()
        assert disabled()
    assert not disabled()
    train = DataLoader(examples, model_spec.get(pytorch_layout_dir, max_seq_length=24))
    model = ner.create(train, epochs=2, batch_size=8, learning_rate=3e-3)
    assert model.history.epochs[-1].loss < model.history.epochs[0].loss  # it trained
    assert not disabled()


def test_determinism_is_switched_back_off_after_training():
    from tensorflow.python.framework import config as tf_config

    from rasa_electra.model.tf_runtime import deterministic

    assert not tf_config.is_op_determinism_enabled()
    with deterministic(3):
        assert tf_config.is_op_determinism_enabled()
    assert not tf_config.is_op_determinism_enabled()


def test_mirrored_training_over_two_replicas_is_the_same_maths(repo, pytorch_layout_dir):
    """Rows split over replicas, loss over the whole batch, gradients summed before clipping."""
    import json
    import subprocess
    import sys

    script = repo / "tests/model/distributed_step.py"
    data = repo / "data/examples/nlu.yml"
    result = subprocess.run(
        [sys.executable, str(script), str(pytorch_layout_dir), str(data)],
        cwd=repo, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["max_change"] > 1e-3  # it trained
    assert report["max_difference"] < 1e-4


def test_unknown_strategy_is_refused():
    from rasa_electra.model.tf_runtime import make_strategy

    with pytest.raises(ValueError, match="none, mirrored, multi-worker or tpu"):
        make_strategy("horovod")


def test_tail_average_is_the_mean_of_the_epochs_it_saw():
    import numpy as np
    import tensorflow as tf

    from rasa_electra.model.checkpoint import TailAverage

    variable = tf.Variable([0.0, 0.0])
    tail = TailAverage([variable], first=3)
    for epoch, value in enumerate(([9.0, 9.0], [9.0, 9.0], [1.0, 2.0], [3.0, 6.0]), start=1):
        variable.assign(value)
        tail.add(epoch)
    assert tail.epochs == [3, 4]  # epochs 1 and 2 are before the tail
    tail.assign()
    np.testing.assert_allclose(variable.numpy(), [2.0, 4.0])


def test_the_averaged_tail_is_kept_only_when_dev_says_so(pytorch_layout_dir, examples):
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.model import DataLoader, ner

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    train = DataLoader(examples, spec)
    model = ner.create(
        train, validation_data=train, epochs=6, batch_size=8, learning_rate=3e-3, seed=1,
        head="crf", head_learning_rate=3e-2, average_last=3,
    )  # fmt: skip
    history = model.history
    assert history.averaged_epochs == [4, 5, 6]
    served = score_spans(train.examples, model.predict(train.examples)).micro.f1
    if history.kept_average:  # the weights it holds are the ones dev scored
        assert history.averaged_dev_f1 > history.best_dev_f1
        assert served == pytest.approx(history.averaged_dev_f1)
        assert history.chosen == "avg 4-6"
    else:
        assert served == pytest.approx(history.best_dev_f1)
        assert history.chosen == str(history.best_epoch)


def test_keep_last_serves_the_last_epoch_where_dev_would_choose_another(
    pytorch_layout_dir, examples
):
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.model import DataLoader, ner

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    train = DataLoader(examples, spec)
    served, curves = {}, {}
    for keep_last in (False, True):  # a learning rate high enough that dev F1 goes up and down
        model = ner.create(
            train, validation_data=train, epochs=4, batch_size=8, learning_rate=0.1, seed=1,
            head="crf", head_learning_rate=3e-2, warmup_ratio=0.0, keep_last=keep_last,
        )  # fmt: skip
        served[keep_last] = score_spans(train.examples, model.predict(train.examples)).micro.f1
        curves[keep_last] = [e.dev_f1 for e in model.history.epochs]
        if keep_last:
            assert model.history.chosen == "4"
    assert curves[True] == curves[False]  # the same run; only the weights kept differ
    assert served[False] == pytest.approx(max(curves[False]))
    assert served[True] == pytest.approx(curves[True][-1])
    with pytest.raises(ValueError, match="give one"):
        ner.create(train, validation_data=train, epochs=1, batch_size=8, keep_last=True,
                   average_last=2)  # fmt: skip


def test_early_stopping_stops_after_patience_and_restores_the_best_epochs_weights(
    pytorch_layout_dir, examples
):
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.model import DataLoader, ner

    train = DataLoader(examples, model_spec.get(pytorch_layout_dir, max_seq_length=24))
    model = ner.create(  # a learning rate high enough that dev F1 goes up and down
        train, validation_data=train, epochs=12, batch_size=8, learning_rate=0.1, seed=1,
        head="crf", head_learning_rate=3e-2, warmup_ratio=0.0, patience=1,
    )  # fmt: skip
    curve = [e.dev_f1 for e in model.history.epochs]
    best = model.history.best_epoch
    assert len(curve) < 12 and len(curve) == best + 1  # stopped one epoch without a gain
    assert curve[-1] <= curve[best - 1] == max(curve)
    served = score_spans(train.examples, model.predict(train.examples)).micro.f1
    assert served == pytest.approx(max(curve))  # the best epoch's weights, not the last's


class Killed(Exception):
    """Stands for the kill that stops a fine-tuning between two epochs."""


def tiny_run(pytorch_layout_dir, examples):
    """A fresh tiny model (the same initial weights each call), its CRF scores and its data."""
    from rasa_electra.data.tags import label_list
    from rasa_electra.model import DataLoader, features
    from rasa_electra.model.crf import CrfScores
    from rasa_electra.model.tf_runtime import deterministic

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    data = DataLoader(examples, spec)
    labels = label_list(data.tag_labels, spec.label_scheme)
    encoded = features.encode(
        data.examples, spec.tokenizer, {label: i for i, label in enumerate(labels)},
        spec.max_seq_length, spec.label_scheme,
    )  # fmt: skip
    with deterministic(1):
        model = spec.build_model(labels, dropout=0.0)  # no dropout: the same maths on resume
    return model, CrfScores(labels), encoded, spec.tokenizer.pieces.pad_token_id


def scripted_dev(scores, kill_at=None):
    """A dev scorer that gives ``scores`` in turn, and is killed at call ``kill_at``."""
    calls = iter(range(1, 100))

    def dev_f1() -> float:
        call = next(calls)
        if call == kill_at:
            raise Killed
        return scores[call - 1]

    return dev_f1


def test_a_killed_fine_tuning_resumes_after_its_last_whole_epoch(
    pytorch_layout_dir, examples, tmp_path, capsys
):
    import numpy as np

    from rasa_electra.model.tf_runtime import deterministic
    from rasa_electra.model.training import train

    config = TrainingConfig(epochs=3, batch_size=16, learning_rate=3e-3, seed=1, head="crf",
                            head_learning_rate=3e-2)  # fmt: skip
    scores = [0.2, 0.5, 0.4]  # epoch 2 is the best: its weights are the model's at the end

    def fine_tune(dev_f1, checkpoint_dir=None, run_config=config):
        model, crf, encoded, pad = tiny_run(pytorch_layout_dir, examples)
        with deterministic(1):
            history = train(model, encoded, run_config, pad, dev_f1, None, crf, None,
                            checkpoint_dir)  # fmt: skip
        return history, model.get_weights() + [v.numpy() for v in crf.variables]

    whole, whole_weights = fine_tune(scripted_dev(scores))
    checkpoints = tmp_path / "seed-1"
    with pytest.raises(Killed):  # during epoch 3's dev scoring: epochs 1 and 2 are saved
        fine_tune(scripted_dev(scores, kill_at=3), checkpoints)
    assert json.loads((checkpoints / "state.json").read_text())["saved"] == "epoch-2"
    resumed, resumed_weights = fine_tune(scripted_dev(scores[2:]), checkpoints)
    assert "resuming after epoch 2" in capsys.readouterr().out
    assert [e.epoch for e in resumed.epochs] == [1, 2, 3]
    assert [e.dev_f1 for e in resumed.epochs] == scores and resumed.best_epoch == 2
    assert [e.loss for e in resumed.epochs] == pytest.approx([e.loss for e in whole.epochs])
    for got, expected in zip(resumed_weights, whole_weights, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # run again once finished: the chosen model comes back, nothing is trained
    again, again_weights = fine_tune(scripted_dev([]), checkpoints)
    assert again.best_epoch == 2 and len(again.epochs) == 3
    for got, expected in zip(again_weights, whole_weights, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    other = TrainingConfig(**{**config.as_dict(), "learning_rate": 1e-3})
    with pytest.raises(ValueError, match=r"other settings.*learning_rate"):
        fine_tune(scripted_dev(scores), checkpoints, other)


KILLED_RUN = """
import sys
sys.path.insert(0, {tests!r})
from test_training import tiny_run, long_epochs
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.model.tf_runtime import deterministic
from rasa_electra.model.training import train

model, crf, encoded, pad = tiny_run({layout!r}, read_rasa_data({data!r}))
with deterministic(1):
    train(model, encoded, long_epochs(), pad, None, None, crf, None, {checkpoints!r})
"""


def long_epochs():
    """Two epochs of batches of 2, saved every 3 steps inside an epoch."""
    return TrainingConfig(epochs=2, batch_size=2, learning_rate=3e-3, seed=1, head="crf",
                          head_learning_rate=3e-2, save_every_steps=3)  # fmt: skip


def test_a_fine_tuning_killed_inside_an_epoch_resumes_at_its_last_step_save(
    pytorch_layout_dir, examples, tmp_path, capsys
):
    """A real SIGKILL in the middle of epoch 1; the resumed run skips the steps it had done and
    ends where an uninterrupted run ends."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from rasa_electra.model.tf_runtime import deterministic
    from rasa_electra.model.training import train

    repo = Path(__file__).resolve().parents[2]
    checkpoints = tmp_path / "seed-1"
    script = KILLED_RUN.format(tests=str(Path(__file__).parent), layout=str(pytorch_layout_dir),
                               data=str(repo / "data/examples/nlu.yml"),
                               checkpoints=str(checkpoints))  # fmt: skip
    process = subprocess.Popen([sys.executable, "-c", script], cwd=repo)
    state_file = checkpoints / "state.json"
    try:
        while process.poll() is None:  # kill it once it has saved inside epoch 1
            state = json.loads(state_file.read_text()) if state_file.is_file() else {}
            if (state.get("position") or {}).get("epoch") == 1:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        process.wait(timeout=300)
    finally:
        process.kill()
    state = json.loads(state_file.read_text())
    assert state["position"]["epoch"] == 1 and state["position"]["steps"] % 3 == 0
    assert state["saved"] == f"epoch-1-step-{state['position']['steps']}"

    def fine_tune(checkpoint_dir=None):
        model, crf, encoded, pad = tiny_run(pytorch_layout_dir, examples)
        with deterministic(1):
            history = train(model, encoded, long_epochs(), pad, None, None, crf, None,
                            checkpoint_dir)  # fmt: skip
        return history, model.get_weights() + [v.numpy() for v in crf.variables]

    whole, whole_weights = fine_tune()
    assert len(whole.epochs) == 2 and whole.epochs[0].loss > 0
    resumed, resumed_weights = fine_tune(checkpoints)
    steps = state["position"]["steps"]
    assert f"resuming epoch 1 after step {steps}" in capsys.readouterr().out
    assert [e.loss for e in resumed.epochs] == pytest.approx([e.loss for e in whole.epochs])
    for got, expected in zip(resumed_weights, whole_weights, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)
