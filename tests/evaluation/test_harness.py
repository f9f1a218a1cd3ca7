"""The evaluation command in --quick mode: real Rasa training for each system, a full report."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.evaluation.peers import ginza_label_map
from rasa_electra.evaluation.scoreboard import read_scoreboard
from rasa_electra.evaluation.systems import (
    Crf,
    CrfOptions,
    DietOptions,
    SystemOptions,
    build_system,
)


def pipeline(name: str, options: SystemOptions, seed: int, spacy_model: str | None = None) -> str:
    """The Rasa config (YAML text) of the system a name stands for."""
    return build_system(name, options).pipeline(seed, spacy_model)


@pytest.mark.slow
def test_quick_mode_compares_every_system_through_rasa(repo, pytorch_layout_dir, tmp_path):
    data = str(repo / "data/examples/nlu.yml")  # a bot's own data: train = dev = test here
    out, board = tmp_path / "report", tmp_path / "scoreboard.json"
    command = [sys.executable, "-m", "rasa_electra.cli.evaluate", "--train", data, "--test", data,
               "--dev", data, "--systems", "crf,crf-rasa,electra,diet,spacy,ginza",
               "--electra-start-point", str(pytorch_layout_dir), "--quick", "--out", str(out),
               "--scoreboard", str(board), "--run", "quick"]  # fmt: skip
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    # `rasa train`'s progress streams while it runs: DIET's epoch bar, ELECTRA's epochs
    assert "[diet seed 42] Epochs:" in result.stderr
    assert "[electra seed 42] epoch 1" in result.stderr
    assert "ents_f" in result.stderr.lower() or "ENTS_F" in result.stderr  # spaCy's own table
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert list(results["systems"]) == ["crf", "crf-rasa", "electra", "diet", "spacy", "ginza"]
    for system in results["systems"].values():
        micro = {name: system["micro"][name]["mean"] for name in ("precision", "recall", "f1")}
        p, r = micro["precision"], micro["recall"]
        assert micro["f1"] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0, abs=1e-5)
        assert system["boundary_micro"]["f1"]["mean"] >= micro["f1"]  # labels only make it harder
        assert system["gold_entities"] == 51 and system["archive_mb"] >= 0
        assert system["load_seconds"]["mean"] > 0 and system["latency_ms_p95"]["mean"] > 0
    crf = results["systems"]["crf"]
    assert crf["micro"]["f1"]["mean"] > 0.5  # CRF on its own training sentences
    assert "FastCRFEntityExtractor" in crf["token_level_weighted_avg"]
    rasas = results["systems"]["crf-rasa"]
    assert "CRFEntityExtractor" in rasas["token_level_weighted_avg"]
    assert rasas["micro"] == crf["micro"]  # the fast CRF is Rasa's CRF, stored differently
    assert results["systems"]["diet"]["selection"] == {}  # one setting: nothing to choose
    assert results["systems"]["spacy"]["token_level_weighted_avg"] == {}  # rasa test skips it
    # ja_ginza's ENE types that GSD has no label for are dropped, and counted
    ginza = results["systems"]["ginza"]
    assert all(label not in ginza["per_label"] for label in ginza["dropped_predictions"])
    assert set(ginza["per_label"]) <= set(ginza_label_map().values())
    report = (out / "results.md").read_text(encoding="utf-8")
    assert "| crf | 1 |" in report and "| electra | 1 |" in report and "token-level" in report
    for chart in ("f1.png", "per_label_f1.png", "confusion-crf.png", "confusion-electra.png"):
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # why, not only who: each system's errors by kind, and where the systems disagree
    assert "## Error analysis" in report and "Errors of `ginza` by gold label" in report
    assert "The test sentences where the systems disagree most:" in report
    assert len(results["predictions"]["crf"]) == results["test_messages"]  # a row per message
    (record,) = read_scoreboard(board)
    assert record["run"] == "quick" and "--quick --out" in record["command"]
    assert record["systems"]["crf"]["f1"]["mean"] == round(100 * crf["micro"]["f1"]["mean"], 2)

    # a rerun reuses every trained model (an interrupted `make eval` resumes)
    logs = sorted((out / "models").glob("*/rasa-train.log"))
    stamps = [log.stat().st_mtime_ns for log in logs]
    rerun = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=1800)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert sorted((out / "models").glob("*/rasa-train.log")) == logs
    assert [log.stat().st_mtime_ns for log in logs] == stamps
    assert (
        json.loads((out / "results.json").read_text(encoding="utf-8"))["systems"]
        == results["systems"]
    )
    assert len(read_scoreboard(board)) == 2

    # a test read in a folder of its own scores the dev read's models, untrained, on its file
    other = tmp_path / "other-test.yml"
    write_rasa_yaml(read_rasa_data(Path(data))[::-1], other)
    read = tmp_path / "test-read"
    scored = subprocess.run(
        [sys.executable, "-m", "rasa_electra.cli.evaluate", "--train", data, "--test", str(other),
         "--dev", data, "--systems", "crf,electra", "--electra-start-point",
         str(pytorch_layout_dir), "--quick", "--out", str(read), "--models", str(out / "models")],
        cwd=repo, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr[-3000:]
    assert [log.stat().st_mtime_ns for log in logs] == stamps  # no model trained again
    assert not (read / "models").exists()
    for model in (out / "models").iterdir():
        if model.name.rsplit("-", 1)[0] in ("crf", "electra"):
            assert len(list(model.glob("trial-*.json"))) == 2  # one result per test file
    again = json.loads((read / "results.json").read_text(encoding="utf-8"))
    assert list(again["systems"]) == ["crf", "electra"]
    assert again["test"] == str(read / "test_slice.yml")  # its own file, scored


class CrfByIterations(Crf):
    """The CRF with a setting to choose on dev: the selection is the harness's, whatever the
    system (DIET's epochs in a real run)."""

    dev_parameter = "max_iterations"

    def dev_choices(self) -> dict[int, Crf]:
        return {n: Crf(replace(self.options, max_iterations=n)) for n in (1, 40)}


def test_a_setting_is_chosen_on_dev_and_its_model_is_the_one_tested(repo, tmp_path):
    from rasa_electra.evaluation.harness import evaluate_systems

    data = repo / "data/examples/nlu.yml"
    train, dev = tmp_path / "train.yml", tmp_path / "dev.yml"
    examples = read_rasa_data(data)
    write_rasa_yaml(examples[::2], train)
    write_rasa_yaml(examples[1::2], dev)
    results = evaluate_systems(train, dev, [CrfByIterations()], 1, tmp_path / "out", dev_file=dev)
    selection = results["systems"]["crf"]["selection"]
    dev_f1 = selection["dev_f1"]
    assert selection["parameter"] == "max_iterations" and set(dev_f1) == {1, 40}
    assert selection["chosen"] == max(dev_f1, key=lambda n: (dev_f1[n], -n))
    assert dev_f1[40] > dev_f1[1]  # one pass of L-BFGS has learnt next to nothing
    models = sorted((tmp_path / "out" / "models").iterdir())
    assert len(models) == 2  # the chosen model is tested, not trained a third time
    assert [len(list(m.glob("dev-*.json"))) for m in models] == [1, 1]  # kept for reruns
    tested = [m for m in models if list(m.glob("trial-*.json"))]
    assert len(tested) == 1 and "max_iterations: 40" in (tested[0] / "config.yml").read_text()


def test_crf_pipeline_is_the_projects_baseline_config(repo):
    from rasa.shared.utils.io import read_yaml

    ours = read_yaml(pipeline("crf", SystemOptions(), seed=1))["pipeline"]
    baseline = read_yaml((repo / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    assert ours == baseline
    rasas = read_yaml(pipeline("crf-rasa", SystemOptions(), seed=1))["pipeline"]
    assert [step["name"] for step in rasas][-1] == "CRFEntityExtractor"
    assert rasas[:-1] == baseline[:-1] and {**rasas[-1], "name": ""} == {**baseline[-1], "name": ""}


def test_pipelines_share_the_tokenizer_and_need_an_electra_source():
    options = SystemOptions(electra_exports=("/models/export",), diet=DietOptions(epochs=(5,)))
    for system in ("crf", "diet", "electra"):
        assert "JapaneseTokenizer" in pipeline(system, options, seed=1)
    assert "model_path: /models/export" in pipeline("electra", options, seed=1)
    with pytest.raises(ValueError, match="exactly one of"):
        pipeline("electra", SystemOptions(), seed=1)
    with pytest.raises(ValueError, match="unknown system"):
        pipeline("maxent", options, seed=1)
    with pytest.raises(ValueError, match="choose one on dev first"):
        pipeline("diet", SystemOptions(diet=DietOptions(epochs=(10, 20))), seed=1)


def test_spacy_and_ginza_are_served_by_rasa_s_spacy_components():
    from rasa.shared.utils.io import read_yaml

    options = SystemOptions()
    ginza = read_yaml(pipeline("ginza", options, seed=1))["pipeline"]
    assert ginza == [{"name": "SpacyNLP", "model": "ja_ginza"}, {"name": "SpacyTokenizer"},
                     {"name": "SpacyEntityExtractor"}]  # fmt: skip
    spacy = read_yaml(pipeline("spacy", options, seed=1, spacy_model="/m/model-best"))["pipeline"]
    assert spacy[0] == {"name": "SpacyNLP", "model": "/m/model-best"}
    with pytest.raises(ValueError, match="trained spaCy model"):
        pipeline("spacy", options, seed=1)


def test_electra_on_a_converted_format_is_its_own_system():
    from rasa.shared.utils.io import read_yaml

    options = SystemOptions(electra_exports=("/models/export",), electra_threads=1)
    extractor = read_yaml(pipeline("electra@tflite-dynamic", options, seed=1))["pipeline"][-1]
    assert extractor["model_path"] == "/models/export"
    assert (extractor["backend"], extractor["quantization"]) == ("tflite", "dynamic")
    assert extractor["intra_op_threads"] == 1
    plain = read_yaml(pipeline("electra", options, seed=1))["pipeline"][-1]
    assert "backend" not in plain  # the component's default (auto), as a user gets it
    saved = read_yaml(pipeline("electra@savedmodel", options, seed=1))["pipeline"][-1]
    assert (saved["backend"], saved["quantization"]) == ("savedmodel", "none")
    assert build_system("electra@onnx", options).name == "electra@onnx"
    with pytest.raises(ValueError, match="only electra runs on other backends"):
        pipeline("crf@onnx", options, seed=1)
    with pytest.raises(ValueError, match="a converted format needs exports"):
        pipeline("electra@onnx", SystemOptions(electra_start_point="/models/encoder"), seed=1)


def test_export_and_trainable_electra_are_separate_systems_each_with_its_options():
    from rasa_electra.evaluation.systems import ElectraExport, ElectraTrainable

    served = build_system("electra", SystemOptions(electra_exports=("/e/s42",)))
    trained = build_system("electra", SystemOptions(electra_start_point="/enc"))
    assert isinstance(served, ElectraExport) and isinstance(trained, ElectraTrainable)
    assert not served.is_stochastic() and trained.is_stochastic()
    # a component key the extractor does not have is refused when the system is built
    with pytest.raises(Exception, match="no key 'epoch'"):
        build_system("electra", SystemOptions(electra_start_point="/e", electra_keys={"epoch": 1}))


def test_the_entity_map_reaches_the_extractor_as_a_mapping():
    from rasa.shared.utils.io import read_yaml

    from rasa_electra.cli import parse_entity_map

    entity_map = parse_entity_map("GPE=place, LOC=place,DATE=date")
    assert entity_map == {"GPE": "place", "LOC": "place", "DATE": "date"}
    options = SystemOptions(
        electra_start_point="/models/gsd-export", electra_keys={"entity_map": entity_map}
    )
    extractor = read_yaml(pipeline("electra", options, seed=1))["pipeline"][-1]
    assert extractor["entity_map"] == entity_map
    assert extractor["pretrained"] == "/models/gsd-export"
    assert "o_bias" not in extractor  # each model's own, as a user gets it
    told = SystemOptions(electra_exports=("/models/gsd-export",), electra_keys={"o_bias": 0.5})
    assert read_yaml(pipeline("electra", told, seed=1))["pipeline"][-1]["o_bias"] == 0.5
    with pytest.raises(SystemExit, match="LABEL=name"):
        parse_entity_map("GPE=place,LOC")


def test_training_flags_reach_the_extractor_as_rasa_config_values():
    import argparse

    from rasa.shared.utils.io import read_yaml

    from rasa_electra.cli.evaluate import ELECTRA_KEYS
    from rasa_electra.components.electra_config import add_component_arguments, component_keys

    parser = argparse.ArgumentParser()
    add_component_arguments(parser, ELECTRA_KEYS, "electra-")
    args = parser.parse_args(
        ["--electra-word-features", "pos,word", "--electra-freeze-layers", "6"]
    )
    keys = component_keys(args, ELECTRA_KEYS, "electra_")
    options = SystemOptions(electra_start_point="/models/encoder", electra_keys=keys)
    extractor = read_yaml(pipeline("electra", options, seed=1))["pipeline"][-1]
    assert extractor["word_features"] == ["pos", "word"]
    assert extractor["freeze_layers"] == 6
    assert "min_train_steps" in extractor and "epochs" in extractor  # the rest: the defaults


def test_the_crf_config_s_tokenizer_options_reach_the_pipeline_as_written(repo, tmp_path):
    import yaml
    from rasa.shared.utils.io import read_yaml

    config = yaml.safe_load((repo / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"][0].update(dictionary="unidic_lite", normalization=None)
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    options = SystemOptions(crf=CrfOptions(config=tmp_path / "config.yml"))
    ours = read_yaml(pipeline("crf", options, seed=1))["pipeline"]
    assert ours == config["pipeline"]
    assert ours[0]["normalization"] is None  # not the string "None"


def test_the_crf_can_run_on_other_words_without_another_config_file():
    from rasa.shared.utils.io import read_yaml

    from rasa_electra.cli.evaluate import parse_options

    tokenizer = parse_options("dictionary=sudachi, split_mode=C,normalization=null")
    assert tokenizer == {"dictionary": "sudachi", "split_mode": "C", "normalization": None}
    options = SystemOptions(crf=CrfOptions(tokenizer=tokenizer))
    steps = read_yaml(pipeline("crf", options, seed=1))["pipeline"]
    assert {k: steps[0][k] for k in tokenizer} == tokenizer
    assert steps[-1]["name"].endswith("FastCRFEntityExtractor")
    with pytest.raises(SystemExit, match="--crf-tokenizer: expected KEY=VALUE"):
        parse_options("dictionary")


def test_electra_exports_of_several_seeds_are_one_trial_each():
    one = build_system("electra", SystemOptions(electra_exports=("/e/s42",)))
    assert one.trial_count(trials=3) == 1  # an export is deterministic
    seeds = build_system("electra", SystemOptions(electra_exports=("/e/s42", "/e/s43")))
    assert seeds.trial_count(trials=3) == 2
    assert seeds.for_trial(1).options.source == "/e/s43"
    assert "/e/s43" in seeds.for_trial(1).pipeline(seed=43)
    assert build_system("crf", SystemOptions()).trial_count(trials=3) == 1
    assert build_system("diet", SystemOptions()).trial_count(trials=3) == 3


def test_a_changed_encoder_file_means_a_new_model_not_a_stale_one(pytorch_layout_dir, tmp_path):
    import shutil

    from rasa_electra.evaluation.harness import _recipe

    start = tmp_path / "encoder"
    shutil.copytree(pytorch_layout_dir, start)
    train = tmp_path / "train.yml"
    train.write_text("version: '3.1'\nnlu: []\n", encoding="utf-8")
    system = build_system("electra", SystemOptions(electra_start_point=str(start)))
    before = _recipe(system, 42, train, None)
    assert _recipe(system, 42, train, None) == before  # same bytes, same model
    weights = start / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")  # one byte of the weights
    assert _recipe(system, 42, train, None) != before  # retrained, not reused


def test_a_changed_serving_default_means_a_new_trial_result_not_a_stale_one(tmp_path, monkeypatch):
    from rasa_electra import defaults
    from rasa_electra.evaluation.harness import trial_key

    test = tmp_path / "test.yml"
    test.write_text("version: '3.1'\nnlu: []\n", encoding="utf-8")
    before = trial_key(test)
    assert trial_key(test) == before
    monkeypatch.setattr(defaults, "O_BIAS", defaults.O_BIAS + 1.0)  # the same archive decodes
    assert trial_key(test) != before  # otherwise, so its kept result is not reused


def test_a_changed_training_default_retrains_trainable_mode_only(tmp_path, monkeypatch):
    from rasa_electra import defaults
    from rasa_electra.evaluation.harness import _recipe

    train = tmp_path / "train.yml"
    train.write_text("version: '3.1'\nnlu: []\n", encoding="utf-8")
    trainable = build_system("electra", SystemOptions(electra_start_point=str(tmp_path)))
    served = build_system("electra", SystemOptions(electra_exports=(str(tmp_path),)))
    before = [_recipe(system, 42, train, None) for system in (trainable, served)]
    monkeypatch.setattr(defaults, "EPOCHS", defaults.EPOCHS + 1)
    after = [_recipe(system, 42, train, None) for system in (trainable, served)]
    assert after[0] != before[0]  # trainable mode fine-tunes by the defaults: retrained
    assert after[1] == before[1]  # an export is only copied: reused


def test_roles_and_groups_are_scored_beside_entities_when_the_gold_data_has_them():
    from rasa_electra.data.spans import Example, Span
    from rasa_electra.evaluation.harness import score_predictions

    text = "京都から大阪へ"
    gold = [Example(text, (Span(0, 2, "place", role="from"), Span(4, 6, "place", role="to")))]
    swapped = [Example(text, (Span(0, 2, "place", role="to"), Span(4, 6, "place", role="from")))]
    scores = score_predictions(gold, swapped)
    assert scores.exact.micro.f1 == 1.0  # the entities are right
    assert set(scores.attributes) == {"role"}  # no groups in gold: none scored
    assert scores.attributes["role"].micro.f1 == 0.0  # every role is wrong
    plain = [Example(text, (Span(0, 2, "place"),))]
    assert score_predictions(plain, plain).attributes == {}


def test_electra_joined_with_the_crf_is_config_electra_crf_as_written(repo):
    """``electra+crf`` is config-electra-crf.yml: config.yml's CRF pipeline, then the
    extractor joining it; the run sets the start point, the seed and its keys."""
    import yaml

    system = build_system("electra+crf", SystemOptions(electra_start_point="/enc",
                                                       electra_keys={"epochs": 3}))  # fmt: skip
    steps = system.steps(42, None)
    documented = yaml.safe_load((repo / "config-electra-crf.yml").read_text(encoding="utf-8"))
    baseline = yaml.safe_load((repo / "config.yml").read_text(encoding="utf-8"))
    assert documented["pipeline"][:-1] == baseline["pipeline"] == steps[:-1]
    written, ours = documented["pipeline"][-1], steps[-1]
    assert ours == {**written, "pretrained": "/enc", "random_seed": 42, "intra_op_threads": 0,
                    "epochs": 3}  # fmt: skip
    assert ours["join_extractors"] == ["FastCRFEntityExtractor"]
    assert system.is_stochastic() and system.name == "electra+crf"
    with pytest.raises(ValueError, match="electra\\+crf fine-tunes a start point"):
        build_system("electra+crf", SystemOptions(electra_exports=("/e/s42",)))
