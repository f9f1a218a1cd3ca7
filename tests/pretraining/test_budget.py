"""The GPU runner end to end on a CPU with the tiny preset: pack → smoke test → speed sweep →
training to a deadline → files that fit the trip back → resume warm (local checkpoint) and
cold (carried weights) → the discriminator exported from what came back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lab.pretraining.budget import choose_setting, scaled_learning_rate, speed_sweep
from lab.pretraining.pack import pack_sequences
from lab.pretraining.shards import read_shards
from lab.pretraining.trainer import (
    PretrainConfig,
    export,
    load_carried_model,
    load_sequences,
)
from lab.pretraining.weights import merge_load, split_save

MIB = 1024 * 1024


def run_command(pack, work, deliver, carried=None, budget=15):
    command = [
        sys.executable, "-m", "lab.cli.gpu_pretrain",
        "--data", str(pack), "--work", str(work), "--deliver", str(deliver),
        "--budget-seconds", str(budget), "--preset", "tiny",
        "--batch-sizes", "4,8", "--no-compile", "--sweep-seconds", "5", "--reserve-seconds",
        "3", "--log-every", "2",
    ]  # fmt: skip
    if carried is not None:
        command += ["--init-weights", str(carried)]
    subprocess.run(command, check=True, timeout=300)
    return json.loads((deliver / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first_run(shards_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("gpu-run")
    pack_sequences(read_shards(shards_dir), root / "pack", part_sequences=16)
    report = run_command(root / "pack", root / "work", root / "out")
    return root, report


def export_first_run(first_run, out: Path):
    """The first run's carried weights exported as a start point, with its trainer state."""
    root, report = first_run
    config = PretrainConfig(**report["config"])
    data = load_sequences(root / "pack")
    model, state = load_carried_model(root / "out", config, data)
    return export(model, data, out, config, state), state


def test_one_command_smoke_tests_sweeps_trains_and_delivers(first_run) -> None:
    root, report = first_run
    smoke = report["smoke"]
    assert smoke["finite"] and smoke["last_loss"] < smoke["first_loss"]
    # the sweep starts batch 8 only while its 5 seconds last: a loaded machine spends them on 4
    assert [r["batch_size"] for r in report["sweep"]] in ([4], [4, 8])
    assert report["choice"]["batch_size"] in (4, 8) and report["steps"] > 0
    assert report["config"]["dropout"] == 0.0
    files = list((root / "out").iterdir())
    assert len(files) <= 8 and all(f.stat().st_size <= 16 * MIB for f in files)
    assert {"run.json", "trainer_state.json", "log.jsonl"} <= {f.name for f in files}
    state = json.loads((root / "out" / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["step"] == report["steps"] and state["optimizer_restarts"] == []


def test_resume_warm_from_the_checkpoint_and_cold_from_carried_weights(first_run) -> None:
    root, first = first_run
    warm = run_command(root / "pack", root / "work", root / "out-warm")
    assert warm["choice"]["resumed"] and warm["sweep"] == []  # the first run's choice is kept
    assert warm["config"]["schedule_start"] == first["steps"] and warm["steps"] > first["steps"]
    warm_state = json.loads((root / "out-warm" / "trainer_state.json").read_text("utf-8"))
    assert warm_state["optimizer_restarts"] == []  # the local checkpoint had the optimizer

    carried = root / "carried"
    shutil.copytree(root / "out", carried)
    cold = run_command(root / "pack", root / "work-fresh", root / "out-cold", carried=carried)
    assert cold["config"]["schedule_start"] == first["steps"] and cold["steps"] > first["steps"]
    cold_state = json.loads((root / "out-cold" / "trainer_state.json").read_text("utf-8"))
    assert cold_state["optimizer_restarts"] == [
        {"step": first["steps"], "reason": "weights carried back"}
    ]


def test_carried_weights_export_a_start_point(first_run, tmp_path) -> None:
    root, report = first_run
    target, _ = export_first_run(first_run, tmp_path)
    assert json.loads((target / "config.json").read_text())["hidden_dropout_prob"] == 0.1
    card = json.loads((target / "pretraining_card.json").read_text(encoding="utf-8"))
    assert card["steps"] == report["steps"]
    vocab = (root / "pack" / "tokenizer" / "vocab.txt").read_text(encoding="utf-8")
    assert (target / "vocab.txt").read_text(encoding="utf-8") == vocab


def test_split_weights_merge_back_and_a_missing_file_is_named(tmp_path) -> None:
    import torch

    state = {"big": torch.randn(300, 50), "small": torch.randn(3), "scalar": torch.tensor(2.0)}
    paths = split_save(state, tmp_path, max_bytes=20_000)
    assert len(paths) > 2 and all(p.stat().st_size < 21_000 for p in paths)
    merged = merge_load(tmp_path)
    assert all(torch.equal(merged[k], state[k]) for k in state)
    paths[1].unlink()
    with pytest.raises(FileNotFoundError, match="incomplete"):
        merge_load(tmp_path)


def test_the_fastest_setting_over_the_time_left_wins() -> None:
    eager = {"tokens_per_second": 100.0, "warmup_seconds": 1.0, "steps_per_second": 1}
    compiled = {"tokens_per_second": 150.0, "warmup_seconds": 60.0, "steps_per_second": 1}
    assert choose_setting([eager, compiled], train_seconds=400) is compiled
    assert choose_setting([eager, compiled], train_seconds=100) is eager
    assert scaled_learning_rate("small", 512) == pytest.approx(5e-4)  # capped: 1e-3 collapsed
    assert scaled_learning_rate("small", 32) == pytest.approx(2.5e-4)


def test_the_sweep_times_each_compile_mode_and_leaves_out_one_that_fails(shards_dir) -> None:
    config = PretrainConfig(preset="tiny", dropout=0.0)
    rows = speed_sweep(config, read_shards(shards_dir), [4], ("no-such-mode",), 60, steps=2)
    eager, failed = rows
    assert eager["compile"] is False and eager["compile_mode"] is None and eager["finite"]
    assert eager["host_syncs_per_step"] is None  # counted on a GPU only
    assert (
        failed["compile_mode"] == "no-such-mode"
        and "compile_mode must be one of" in failed["error"]
    )
    assert choose_setting(rows, train_seconds=60) is eager
    with pytest.raises(ValueError, match="compile_mode"):
        PretrainConfig(compile_mode="max").resolved()


def test_a_resume_kit_with_the_shipped_discriminator_resumes(first_run, tmp_path) -> None:
    from lab.pretraining.resume_kit import kit_state, make_resume_kit
    from lab.pretraining.ship import ship_encoder

    root, report = first_run
    shipped = ship_encoder(export_first_run(first_run, tmp_path / "run")[0], [], tmp_path / "ship")
    summary = make_resume_kit(root / "out", root / "pack", tmp_path / "kit", shipped=shipped)
    kit_weights = merge_load(tmp_path / "kit" / "weights")
    assert kit_weights and not any(k.startswith("discriminator.") for k in kit_weights)
    assert summary["parts"] >= 1
    merged = kit_state(tmp_path / "kit" / "weights")
    assert set(merged) >= set(merge_load(root / "out"))  # nothing the trainer needs is missing
    cold = run_command(tmp_path / "kit" / "pack", tmp_path / "work", tmp_path / "out",
                       carried=tmp_path / "kit" / "weights")  # fmt: skip
    assert cold["config"]["schedule_start"] == report["steps"] and cold["steps"] > report["steps"]


def test_the_shipped_encoder_alone_resumes_with_a_fresh_generator(first_run, tmp_path) -> None:
    """The weights that came back stay off git and off new machines: the next GPU session may
    have only the shipped discriminator, whose steps go on while a new generator starts."""
    from lab.pretraining.resume_kit import make_resume_kit
    from lab.pretraining.ship import ship_encoder

    root, report = first_run
    target, state = export_first_run(first_run, tmp_path / "run")
    run = {"steps": state.step, "tokens_seen": state.tokens_seen, "train_seconds": 1.0}
    shipped = ship_encoder(target, [run], tmp_path / "ship")
    make_resume_kit(None, root / "pack", tmp_path / "kit", shipped=shipped)
    assert not list((tmp_path / "kit" / "weights").glob("*.safetensors"))
    resumed = run_command(tmp_path / "kit" / "pack", tmp_path / "work", tmp_path / "out",
                          carried=tmp_path / "kit" / "weights")  # fmt: skip
    assert resumed["sweep"] and resumed["config"]["schedule_start"] == report["steps"]
    after = json.loads((tmp_path / "out" / "trainer_state.json").read_text("utf-8"))
    assert after["step"] > report["steps"] and after["optimizer_restarts"][0]["reason"].startswith(
        "discriminator from the shipped encoder"
    )


def test_the_kit_carries_the_parts_the_card_says_were_seen_least(first_run, tmp_path) -> None:
    """A lease adds new text first: each run's row records the parts it read, and the next kit
    puts the unread ones ahead of those, skipping a part that does not fit."""
    from lab.cli.ship_encoder import run_row
    from lab.pretraining.resume_kit import make_resume_kit, pack_parts_seen
    from lab.pretraining.ship import CARD_FILE, ship_encoder

    root, _ = first_run
    manifest = json.loads((root / "pack" / "pack.json").read_text(encoding="utf-8"))
    names = [part["name"] for part in manifest["parts"]]
    assert len(names) >= 3
    row = run_row(root / "out" / "run.json")
    assert row["parts_used"] == names  # the first run read the whole pack
    target, _ = export_first_run(first_run, tmp_path / "run")
    # two runs read the first part, one the second: the rest were never read
    rows = [{**row, "parts_used": names[:1]}, {**row, "parts_used": names[:2]}]
    shipped = ship_encoder(target, rows, tmp_path / "ship")
    card = json.loads((shipped / CARD_FILE).read_text(encoding="utf-8"))
    assert pack_parts_seen(card) == {names[0]: 2, names[1]: 1}
    summary = make_resume_kit(None, root / "pack", tmp_path / "kit", shipped=shipped)
    assert summary["part_names"] == [*names[2:], names[1], names[0]]
    unseen = sum(p["tokens"] for p in manifest["parts"][2:])
    assert summary["unseen_tokens"] == unseen
    # room for the unread parts only: they go, the read ones stay behind
    used = sum(p.stat().st_size for p in (tmp_path / "kit").rglob("*") if p.is_file())
    room = used - sum(p["bytes"] for p in manifest["parts"][:2]) + 1
    tight = make_resume_kit(None, root / "pack", tmp_path / "tight", room / MIB, shipped)
    assert tight["part_names"] == names[2:] and tight["unseen_tokens"] == unseen
    assert sorted(p.name for p in (tmp_path / "tight" / "pack").glob("part-*")) == names[2:]
    # a card from before the rows kept their parts: its own data.parts_used, once
    card["runs"] = [{k: v for k, v in r.items() if k != "parts_used"} for r in card["runs"]]
    assert pack_parts_seen(card) == dict.fromkeys(card["data"]["parts_used"], 1)


def test_a_lease_trains_on_both_kits_parts_in_two_commands(first_run, tmp_path) -> None:
    """The first command carries the discriminator bundled (it does not travel with the
    repository) and what parts fit beside it; the second, on the same warm machine, carries
    other parts, resumes from the first one's checkpoint there and reads every part."""
    from lab.pretraining.budget import run_budget
    from lab.pretraining.resume_kit import kit_state, make_parts_kit, make_resume_kit
    from lab.pretraining.ship import ship_encoder

    root, report = first_run
    target, state = export_first_run(first_run, tmp_path / "run")
    run = {"steps": state.step, "tokens_seen": state.tokens_seen, "train_seconds": 1.0}
    shipped = ship_encoder(target, [run], tmp_path / "ship")
    manifest = json.loads((root / "pack" / "pack.json").read_text(encoding="utf-8"))
    names = [part["name"] for part in manifest["parts"]]
    whole = make_resume_kit(None, root / "pack", tmp_path / "whole", shipped=shipped, bundle=True)
    assert whole["part_names"] == names
    kit_bytes = sum(p.stat().st_size for p in (tmp_path / "whole").rglob("*") if p.is_file())
    room = kit_bytes - sum(p["bytes"] for p in manifest["parts"][1:]) + 1
    first = make_resume_kit(None, root / "pack", tmp_path / "kit", room / MIB, shipped, True)
    second = make_parts_kit(root / "pack", tmp_path / "kit-2", tmp_path / "kit", shipped=shipped)
    assert first["part_names"] == names[:1] and second["part_names"] == names[1:]
    reference = kit_state(tmp_path / "kit" / "weights")
    shutil.rmtree(shipped)  # the bundled copy is what travels
    assert {k: v.tolist() for k, v in kit_state(tmp_path / "kit" / "weights").items()} == {
        k: v.tolist() for k, v in reference.items()
    }
    # a second kit alone on a fresh machine would train a new model: refused
    with pytest.raises(RuntimeError, match="no command trained on this machine"):
        run_budget(tmp_path / "kit-2" / "pack", tmp_path / "fresh", tmp_path / "no-out", 10)
    one = run_command(tmp_path / "kit" / "pack", tmp_path / "work", tmp_path / "out-1",
                      carried=tmp_path / "kit" / "weights")  # fmt: skip
    assert (
        one["data"]["parts_used"] == names[:1]
        and one["config"]["schedule_start"] == (report["steps"])
    )
    two = run_command(tmp_path / "kit-2" / "pack", tmp_path / "work", tmp_path / "out-2")
    assert two["data"]["parts_used"] == names and two["choice"]["resumed"]
    assert two["config"]["schedule_start"] == one["steps"] and two["steps"] > one["steps"]


def test_parts_of_another_pack_are_refused(first_run, tmp_path) -> None:
    from lab.pretraining.pack import merge_pack

    root, _ = first_run
    merged = merge_pack(root / "pack", tmp_path / "merged")
    assert sorted(p.name for p in merged.glob("part-*")) == sorted(
        p.name for p in (root / "pack").glob("part-*")
    )
    pack_sequences(load_sequences(root / "pack"), tmp_path / "other", part_sequences=8)
    with pytest.raises(ValueError, match="not the pack"):
        merge_pack(tmp_path / "other", tmp_path / "merged")
