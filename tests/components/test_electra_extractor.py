"""ElectraEntityExtractor with a tiny exported model: in-process, and inside real `rasa train`."""

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.components.electra_entity_extractor import ElectraEntityExtractor, ModelLoadError
from rasa_electra.components.entities import directory_fingerprint
from rasa_electra.serving.servable import ExportedModel

NAME = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"


@pytest.fixture(scope="module")
def extractor(exported_tiny):
    config = {**ElectraEntityExtractor.get_default_config(), "model_path": str(exported_tiny)}
    return ElectraEntityExtractor(config, None, None, model=ExportedModel(exported_tiny))


def entities_of(extractor, text, existing=None):
    message = Message(data={TEXT: text, **({ENTITIES: existing} if existing else {})})
    extractor.process([message])
    return message.get(ENTITIES)


def check(text, entities):
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] == text[entity["start"] : entity["end"]]


def test_entities_keep_the_original_text_and_append(extractor):
    text = "山田太郎さんは 東京 に住んでいます。"
    existing = [{"entity": "time", "start": 0, "end": 1, "value": "山", "extractor": "Duckling"}]
    entities = entities_of(extractor, text, existing)
    assert entities[0] == existing[0]
    ours = entities[1:]
    check(text, ours)
    assert ours and all(e["extractor"] == "ElectraEntityExtractor" for e in ours)
    assert all(0 < e["confidence_entity"] <= 1 for e in ours)


def test_a_joined_extractors_entities_are_weighed_in_and_answered_in_their_place(
    extractor, exported_tiny
):
    """``join_extractors``: the CRF's entities pull the model's decoding (here a weight that
    overrules it) and are replaced by the model's; another extractor's entity stays."""
    text = "山田太郎さんは東京に住んでいます。"
    crf = {"entity": "GPE", "start": 0, "end": 4, "value": "山田太郎",
           "extractor": "FastCRFEntityExtractor", "confidence_entity": 0.9}  # fmt: skip
    regex = {"entity": "PERSON", "start": 0, "end": 2, "value": "山田",
             "extractor": "RegexEntityExtractor"}  # fmt: skip
    alone = {(e["value"], e["entity"]) for e in entities_of(extractor, text)}
    assert ("山田太郎", "PERSON") in alone and ("東京", "GPE") in alone
    config = {
        **ElectraEntityExtractor.get_default_config(),
        "model_path": str(exported_tiny),
        "join_extractors": ["FastCRFEntityExtractor"],
        "join_weight": 50.0,
        "keep_overlapping": True,
        "entity_memory": None,
    }  # its memory says PERSON
    served = ExportedModel(exported_tiny)
    served.use_memory(None)
    joined = ElectraEntityExtractor(config, None, None, model=served)
    entities = entities_of(joined, text, [crf, regex])
    assert entities[0] == regex and crf not in entities
    ours = [(e["value"], e["entity"], e["extractor"]) for e in entities[1:]]
    assert ours == [("山田太郎", "GPE", "ElectraEntityExtractor")]  # 東京: the CRF said O


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \u3000\t\n",
        "東京" * 10_000,
        "😀👍🏽é\u0301と\u200d東京",
        "\x00\x07\x1b[31m東京\x7f",
        "a\ud800b",
    ],
)
def test_bad_input_never_crashes(extractor, text):
    check(text, entities_of(extractor, text))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_valid_entities(extractor, text):
    check(text, entities_of(extractor, text))


def test_a_batch_of_messages_is_processed_together(extractor):
    texts = ["山田太郎さんは東京に住んでいます。", "", "鈴木花子は大阪の出身です。"]
    messages = [Message(data={TEXT: t}) for t in texts]
    extractor.process(messages)
    singles = [entities_of(extractor, t) for t in texts]
    # the same entities; a padded batch may round the model's float32 sums differently
    batched = [m.get(ENTITIES) for m in messages]

    def without_confidence(per_message):
        return [[{k: v for k, v in e.items() if k != "confidence_entity"} for e in m]
                for m in per_message]  # fmt: skip

    assert without_confidence(batched) == without_confidence(singles)
    for together, alone in zip(batched, singles, strict=True):
        for a, b in zip(together, alone, strict=True):
            assert a["confidence_entity"] == pytest.approx(b["confidence_entity"], abs=1e-5)


def test_threshold_drops_low_confidence_entities(exported_tiny):
    config = {**ElectraEntityExtractor.get_default_config(), "confidence_threshold": 1.01}
    strict = ElectraEntityExtractor(config, None, None, model=ExportedModel(exported_tiny))
    assert entities_of(strict, "山田太郎さんは東京に住んでいます。") == []


def test_fingerprint_follows_the_model_files(exported_tiny, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(exported_tiny, copy)
    before = ElectraEntityExtractor.fingerprint_addon({"model_path": str(copy)})
    assert before == directory_fingerprint(exported_tiny)
    (copy / "labels.json").write_text((copy / "labels.json").read_text() + " ")
    assert ElectraEntityExtractor.fingerprint_addon({"model_path": str(copy)}) != before


def test_missing_or_broken_model_is_one_clear_error(tmp_path):
    defaults = ElectraEntityExtractor.get_default_config()
    with pytest.raises(ModelLoadError, match=f"model_path {tmp_path / 'nope'} is not a directory"):
        ElectraEntityExtractor.create(
            {**defaults, "model_path": str(tmp_path / "nope")}, None, None, None
        )
    with pytest.raises(ModelLoadError, match="exactly one of `model_path`"):
        ElectraEntityExtractor.create(defaults, None, None, None)
    component = ElectraEntityExtractor({**defaults, "model_path": str(tmp_path)}, None, None)
    with pytest.raises(
        ModelLoadError, match=f"{tmp_path} is not a complete export: missing saved_model.pb"
    ):
        component._load_export(tmp_path)


def rasa_train(repo, tmp_path, pipeline_extra: str) -> Path:
    from rasa_electra.evaluation.harness import rasa_command

    config = tmp_path / "config.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: ja\nassistant_id: test\npipeline:\n"
        "  - name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer\n"
        f"  - name: {NAME}\n{pipeline_extra}"
        "policies: []\n",
        encoding="utf-8",
    )
    # as the harness runs it: Rasa's default log level, whatever an earlier test left in
    # LOG_LEVEL (parsing in-process sets WARNING), and the whole output in rasa-train.log
    rasa_command(
        "train", "nlu", "--config", str(config), "--nlu", str(repo / "data/examples/nlu.yml"),
        "--out", str(tmp_path / "models"), "--fixed-model-name", "electra",
        cwd=tmp_path, log_path=tmp_path / "rasa-train.log", timeout=900,
    )  # fmt: skip
    return tmp_path / "models" / "electra.tar.gz"


def parse(model: Path, text: str) -> list[dict]:
    from rasa.core.agent import Agent

    return asyncio.run(Agent.load(str(model)).parse_message(text))["entities"]


@pytest.fixture(scope="module")
def archive(repo, exported_tiny, tmp_path_factory) -> Path:
    """`rasa train nlu` with the component; the export it used is deleted afterwards."""
    tmp_path = tmp_path_factory.mktemp("rasa")
    export = tmp_path / "export-copy"
    shutil.copytree(exported_tiny, export)
    archive = rasa_train(repo, tmp_path, f"    model_path: {export}\n")
    assert not (export / "formats").exists()  # backend auto converted a copy, not the user's
    shutil.rmtree(export)  # the archive must not need the original directory
    return archive


@pytest.mark.slow
def test_rasa_train_makes_a_self_contained_archive(archive):
    text = "山田太郎さんは東京に住んでいます。"
    entities = parse(archive, text)
    check(text, entities)
    assert entities and {e["extractor"] for e in entities} == {"ElectraEntityExtractor"}


@pytest.mark.slow
def test_backend_auto_stores_only_the_format_it_chose(archive):
    import tarfile

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        report = next((json.load(tar.extractfile(n)) for n in names
                       if n.endswith("formats/formats.json")), None)  # fmt: skip
    has_saved_model = any(n.endswith("export/saved_model.pb") for n in names)
    if report is None:  # no format beat the SavedModel within the F1 limit
        assert has_saved_model
        return
    assert set(report["formats"]) == {"onnx-dynamic"}  # converted at `rasa train`
    chosen = report["fastest"]
    assert not has_saved_model
    # the conversion is one line in `rasa train`'s log, not the quantizer's line per tensor
    log = (archive.parent.parent / "rasa-train.log").read_text(encoding="utf-8")
    assert "backend auto will serve" in log and "Quantization parameters" not in log
    assert [n.rsplit("/", 1)[1] for n in names if "/formats/" in n and n.endswith(".onnx")] == [
        f"{chosen}.onnx"
    ]


@pytest.mark.slow
def test_rasa_shell_nlu_prints_the_entities(archive, tmp_path):
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [str(rasa), "shell", "nlu", "-m", str(archive)],
        input="山田太郎さんは東京に住んでいます。\n", cwd=tmp_path,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert '"extractor": "ElectraEntityExtractor"' in result.stdout
    assert '"text": "山田太郎さんは東京に住んでいます。"' in result.stdout


@pytest.mark.slow
def test_rasa_run_http_api_answers_model_parse(archive, tmp_path):
    from rasa_electra.evaluation.serving import rasa_server

    with rasa_server(archive, startup_timeout=300, cwd=tmp_path) as server:
        texts = ["山田太郎さんは東京に住んでいます。", "", "😀\x00" * 50, "東京" * 3000]
        for text in texts:  # a fixed, small number of requests
            check(text, server.parse(text, timeout=120)["entities"])


@pytest.mark.slow
def test_profile_times_every_graph_node_and_the_extractor_inside_rasa_run(repo, archive, tmp_path):
    data = tmp_path / "messages.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n- intent: i\n  examples: |\n'
        "    - [山田太郎](PERSON)さんは[東京](GPE)に住んでいます。\n    - こんにちは\n    - 東京\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "lab.cli.profile_latency", "--model", str(archive),
               "--data", str(data), "--http"]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    graph, stages = result.stdout.split("Inside the ELECTRA extractor")
    parts = [line.split("|")[1].strip() for line in graph.splitlines() if line.startswith("| ")]
    assert {"JapaneseTokenizer0", "ElectraEntityExtractor1"} <= set(parts)
    assert parts[-4:-1] == ["graph runner around the nodes", "Rasa's processor around the graph",
                            "rasa run: HTTP and JSON around the processor"]  # fmt: skip
    assert parts[-1].startswith("total: a rasa run request")
    # the analysis is the tokenizer node's; the extractor's own stages start at its subwords
    rows = [line.split("|")[1].strip() for line in stages.splitlines() if line.startswith("| ")]
    assert rows == ["stage", "subwords", "windows", "padding", "model", "decoding", "total"]


@pytest.mark.slow
def test_trainable_mode_fine_tunes_during_rasa_train(repo, pytorch_layout_dir, tmp_path):
    # long enough for the tiny model to learn the bot's own examples: the archive must then
    # find a training sentence's entities (an untrained head finds none, or wrong ones); its
    # random lower layers are no start point worth keeping, so every layer learns
    extra = (
        f"    pretrained: {pytorch_layout_dir}\n    epochs: 40\n    min_train_steps: 0\n"
        "    learning_rate: 0.003\n    average_seeds: 1\n"  # one model: soups are tested below
        "    max_seq_length: 32\n    freeze_layers: 0\n"
    )
    archive = rasa_train(repo, tmp_path, extra)
    text = "山田太郎さんは東京に住んでいます。"
    entities = parse(archive, text)
    check(text, entities)
    assert {(e["value"], e["entity"]) for e in entities} == {
        ("山田太郎", "PERSON"),
        ("東京", "GPE"),
    }


@pytest.mark.slow
def test_rasa_train_finetune_continues_the_previous_model(repo, pytorch_layout_dir, tmp_path):
    """`rasa train`, then `rasa train --finetune` on the data with five more examples: the
    second run continues the first model once, for a fraction of its steps, and a label or role
    Rasa lets through that the first never saw gets its own head rows."""
    import tarfile

    from rasa_electra.evaluation.harness import rasa_command

    first = rasa_train(repo, tmp_path, (
        f"    pretrained: {pytorch_layout_dir}\n    epochs: 40\n    min_train_steps: 0\n"
        "    learning_rate: 0.003\n    average_seeds: 2\n    max_seq_length: 32\n"
        "    freeze_layers: 0\n"  # the tiny model's random layers all learn
    ))  # fmt: skip
    with tarfile.open(first) as tar:  # backend auto serves ONNX; the weights are kept beside it
        stored = {Path(m.name).name for m in tar.getmembers() if "/export/" in m.name}
    assert "weights.safetensors" in stored and "saved_model.pb" not in stored
    cities = ["金沢", "長崎", "奈良", "熊本", "青森"]
    more = "".join(f"      - [{c}](GPE)で[森田健](PERSON)さんに会った。\n" for c in cities)
    nlu = tmp_path / "nlu-more.yml"
    nlu.write_text((repo / "data/examples/nlu.yml").read_text(encoding="utf-8").replace(
        "    examples: |\n", "    examples: |\n" + more, 1), encoding="utf-8")  # fmt: skip
    rasa_command(
        "train", "nlu", "--config", str(tmp_path / "config.yml"), "--nlu", str(nlu),
        "--out", str(tmp_path / "models"), "--fixed-model-name", "electra-finetuned",
        "--finetune", str(first), "--epoch-fraction", "0.25",
        cwd=tmp_path, log_path=tmp_path / "rasa-finetune.log", timeout=900,
    )  # fmt: skip
    second = tmp_path / "models" / "electra-finetuned.tar.gz"

    def card(archive: Path) -> dict:
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("export/model_card.json"))
            return json.loads(tar.extractfile(member).read())

    before, after = card(first), card(second)
    # the first model is a soup of two 40-epoch fine-tunings; the second continues it once, for
    # Rasa's fraction of the epochs (40 × 0.25)
    assert [i["seed"] for i in before["soup"]] == [42, 43]
    assert "soup" not in after and len(after["training"]["seconds_per_epoch"]) == 10
    assert after["continued_from"]["labels"] == before["labels"] == after["labels"]
    assert after["start_point"]["source"] == str(pytorch_layout_dir)
    log = (tmp_path / "rasa-finetune.log").read_text(encoding="utf-8")
    assert "continues the previous model" in log and "left" in log  # progress with time left
    text = "山田太郎さんは東京に住んでいます。"
    assert {(e["value"], e["entity"]) for e in parse(second, text)} == {
        ("山田太郎", "PERSON"),
        ("東京", "GPE"),
    }


@pytest.mark.slow
def test_continuing_a_previous_model_learns_labels_and_roles_it_never_saw(
    pytorch_layout_dir, exported_tiny, tmp_path
):
    """What `rasa train --finetune` calls: the previous export continued on data with a new
    label and a new role; the labels it knew keep their rows."""
    import numpy as np
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.trainable import fine_tune
    from rasa_electra.model.weights import export_variables

    messages = []
    for _ in range(6):
        for text, entities in (
            ("ラーメンを東京で食べたい。", [(0, 4, "DISH", None), (5, 7, "GPE", None)]),
            ("京都から大阪へ行く。", [(0, 2, "GPE", "from"), (4, 6, "GPE", "to")]),
        ):
            message = Message(data={TEXT: text, "intent": "x"})
            message.set(ENTITIES, [{"start": s, "end": e, "value": text[s:e], "entity": label,
                                    **({"role": role} if role else {})}
                                   for s, e, label, role in entities])  # fmt: skip
            messages.append(message)
    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(pytorch_layout_dir),
              "epochs": 4, "min_train_steps": 0, "max_seq_length": 24}  # fmt: skip
    fine_tune(ExtractorConfig.parse(config), TrainingData(messages), tmp_path / "out",
              previous=exported_tiny)  # fmt: skip
    card = json.loads((tmp_path / "out" / "model_card.json").read_text(encoding="utf-8"))
    known = json.loads((exported_tiny / "model_card.json").read_text(encoding="utf-8"))["labels"]
    assert "B-DISH" in card["labels"] and "B-GPE|role=from" in card["labels"]
    assert "B-DISH" not in known and "B-GPE" in known and "B-GPE" in card["labels"]
    assert len(card["training"]["seconds_per_epoch"]) == 4 and "soup" not in card
    # the encoder stays as the previous model has it; the head learns the new data
    assert card["hyperparameters"]["freeze_layers"] == 2  # the tiny model's every layer
    before, after = export_variables(exported_tiny), export_variables(tmp_path / "out")
    encoder = [name for name in before if "encoder/" in name or "embeddings/" in name]
    assert encoder and all(np.array_equal(before[name], after[name]) for name in encoder)
    head = [name for name in after if "classifier" in name]
    assert head and any(before[n].shape != after[n].shape or not np.array_equal(before[n], after[n])
                        for n in head)  # fmt: skip


@pytest.mark.slow
def test_continuing_a_previous_model_keeps_its_transitions_and_feature_tables(
    repo, pytorch_layout_dir, exported_tiny, tmp_path
):
    """`rasa train --finetune` continues the whole head, the CRF's transitions and the
    word-feature tables as well as the classifier: at rate 0 the continued model's scores are
    the previous model's (new ones would start at 0, and a bot's 30 continued steps cannot learn
    them again)."""
    import numpy as np
    from rasa.shared.nlu.training_data.loading import load_data

    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.trainable import fine_tune

    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(pytorch_layout_dir),
              "epochs": 1, "min_train_steps": 0, "max_seq_length": 24, "learning_rate": 0.0,
              "head_learning_rate": 1e-12, "freeze_layers": 0}  # fmt: skip
    fine_tune(ExtractorConfig.parse(config), load_data(str(repo / "data/examples/nlu.yml")),
              tmp_path / "out", previous=exported_tiny)  # fmt: skip

    def scores(directory: Path) -> tuple[dict, dict]:
        transitions = json.loads((directory / "transitions.json").read_text(encoding="utf-8"))
        tables = json.loads((directory / "word_features.json").read_text(encoding="utf-8"))
        return transitions, tables

    (before, before_tables), (after, after_tables) = scores(exported_tiny), scores(tmp_path / "out")
    assert after["labels"] == before["labels"]
    learned = np.abs(np.array(before["transition"])).max()
    assert learned > 0.1  # the previous model learned them
    np.testing.assert_allclose(after["transition"], before["transition"], atol=1e-4)
    np.testing.assert_allclose(after["start"], before["start"], atol=1e-4)
    for name in before_tables["tables"]:
        old = dict(
            zip(before_tables["values"][name], before_tables["tables"][name][1:], strict=True)
        )
        new = dict(zip(after_tables["values"][name], after_tables["tables"][name][1:], strict=True))
        shared = sorted(set(old) & set(new))
        assert shared and np.abs(np.array([old[v] for v in shared])).max() > 0.01
        np.testing.assert_allclose([new[v] for v in shared], [old[v] for v in shared], atol=1e-4)


@pytest.mark.slow
def test_serving_benchmark_measures_batches_http_and_a_bounded_load(repo, archive, tmp_path):
    out = tmp_path / "bench"
    data = repo / "data/examples/nlu.yml"
    command = [sys.executable, "-m", "rasa_electra.cli.benchmark_serving",
               "--model", f"electra={archive}", "--data", str(data), "--messages", "5",
               "--batch-sizes", "1,2", "--http",
               "--load-requests", "6", "--concurrency", "2", "--servers", "2",
               "--systems", "crf", "--train", str(data),  # trained here, as the harness does
               "--out", str(out), "--scoreboard", str(tmp_path / "board.json"),
               "--run", "b"]  # fmt: skip
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    systems = json.loads((out / "results.json").read_text())["systems"]
    assert list(systems) == ["electra", "crf"]  # the given archive first: the ratios' reference
    (record,) = json.loads((tmp_path / "board.json").read_text())
    assert record["run"] == "b" and record["kind"] == "serving" and record["systems"] == systems
    row = systems["electra"]
    assert set(row["messages_per_second"]) == {"1", "2"}
    assert all(rate > 0 for rate in row["messages_per_second"].values())
    assert row["load_test"]["requests"] == 6 and row["load_test"]["errors"] == 0
    assert row["load_test"]["servers"] == 2
    assert row["load_test"]["peak_rss_mb"] >= row["load_test"]["rss_mb"] > 0
    assert row["http"]["p50_ms"] > 0
    assert "| electra | " in result.stdout and "1.00× | 1.00× |" in result.stdout


# --- backends inside the component's own lifecycle (Rasa's model storage, no mocks) ------------


def assert_same_entities(got: list[dict], expected: list[dict], tolerance: float) -> None:
    """Equal entities; confidences equal within the backend's numeric tolerance."""

    def split(entities):
        return [{k: v for k, v in e.items() if k != "confidence_entity"} for e in entities], [
            e["confidence_entity"] for e in entities
        ]

    (got_entities, got_conf), (expected_entities, expected_conf) = split(got), split(expected)
    assert got_entities == expected_entities
    assert got_conf == pytest.approx(expected_conf, abs=tolerance)


def lifecycle(config: dict, tmp_path: Path):
    """create → train (copy into Rasa's model storage) → load, as `rasa train`/`rasa run` do."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    config = {**ElectraEntityExtractor.get_default_config(), **config}
    (tmp_path / "storage").mkdir()
    storage, resource = LocalModelStorage(tmp_path / "storage"), Resource("electra")
    context = ExecutionContext(GraphSchema({}), "test")
    ElectraEntityExtractor.create(config, storage, resource, context).train(TrainingData())
    stored = {p.name for p in (tmp_path / "storage").rglob("*")}
    return ElectraEntityExtractor.load(config, storage, resource, context), stored


@pytest.mark.parametrize(
    "options, model_file",
    [
        ({"backend": "tflite"}, "tflite.tflite"),
        ({"backend": "tflite", "quantization": "float16"}, "tflite-float16.tflite"),
        ({"backend": "onnx", "intra_op_threads": 1}, "onnx.onnx"),
    ],
)
def test_backend_option_gives_the_same_entities(
    extractor, formats_export, examples, tmp_path, options, model_file
):
    component, stored = lifecycle({"model_path": str(formats_export), **options}, tmp_path)
    assert model_file in stored and "saved_model.pb" not in stored
    for text in [e.text for e in examples] + ["", "東京" * 500]:
        assert_same_entities(entities_of(component, text), entities_of(extractor, text), 1e-3)


def test_serving_url_calls_tf_serving_and_stores_no_model(
    extractor, exported_tiny, examples, tf_serving, tmp_path
):
    config = {"model_path": str(exported_tiny), "serving_url": tf_serving}
    component, stored = lifecycle(config, tmp_path)
    assert not stored & {"saved_model.pb", "variables"}
    for text in [e.text for e in examples]:
        assert_same_entities(entities_of(component, text), entities_of(extractor, text), 1e-5)


def test_a_format_not_converted_fails_at_create(exported_tiny):
    config = {**ElectraEntityExtractor.get_default_config(), "model_path": str(exported_tiny)}
    with pytest.raises(ModelLoadError, match="no evaluated tflite-dynamic format"):
        ElectraEntityExtractor.create(
            {**config, "backend": "tflite", "quantization": "dynamic"}, None, None, None
        )


def test_an_unknown_backend_fails_at_create_and_a_tokenizer_is_required(exported_tiny):
    from rasa.nlu.tokenizers.tokenizer import Tokenizer

    from rasa_electra.components.japanese_tokenizer import JapaneseTokenizer

    config = {**ElectraEntityExtractor.get_default_config(), "model_path": str(exported_tiny)}
    with pytest.raises(ModelLoadError, match="backend must be one of"):
        ElectraEntityExtractor.create({**config, "backend": "torch"}, None, None, None)
    required = ElectraEntityExtractor.required_components()
    assert required == [Tokenizer] and issubclass(JapaneseTokenizer, Tokenizer)


# --- Rasa's conventions -------------------------------------------------------------------------


def storage(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    return LocalModelStorage(tmp_path / "storage"), Resource("electra_entity_extractor")


def training_data(*messages: tuple[str, list[dict]]):
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData([Message(data={TEXT: t, ENTITIES: e, "intent": "x"}) for t, e in messages])


def test_config_mistakes_are_rasas_invalid_config_exception(tmp_path):
    from rasa.shared.exceptions import InvalidConfigException

    defaults = ElectraEntityExtractor.get_default_config()
    trainable = {**defaults, "pretrained": str(tmp_path)}
    for config in (defaults, {**trainable, "head": "mlp"}, {**trainable, "word_features": ["hue"]},
                   {**trainable, "entity_memory": 0.4},
                   {**trainable, "o_bias": "high"}):  # fmt: skip
        with pytest.raises(InvalidConfigException):
            ElectraEntityExtractor.create(config, None, None, None)


def test_an_unknown_or_mistyped_key_is_an_invalid_config_exception_naming_it(exported_tiny):
    from rasa.shared.exceptions import InvalidConfigException

    config = {**ElectraEntityExtractor.get_default_config(), "model_path": str(exported_tiny)}
    for key in ("learnig_rate", "batch_size", "model_format"):
        with pytest.raises(InvalidConfigException, match=f"no key '{key}'"):
            ElectraEntityExtractor.create({**config, key: 1}, None, None, None)
    with pytest.raises(InvalidConfigException, match="confidence_threshold must be a number"):
        ElectraEntityExtractor.create({**config, "confidence_threshold": "high"}, *[None] * 3)
    # Rasa's own key for `rasa train --finetune --epoch-fraction` is not the user's mistake
    ElectraEntityExtractor.create({**config, "finetuning_epoch_fraction": 0.5}, *[None] * 3)


def test_the_documented_keys_are_a_bot_builders_and_every_key_has_one_declaration():
    from rasa_electra.components.electra_config import USER_KEYS

    defaults = ElectraEntityExtractor.get_default_config()
    assert len(USER_KEYS) <= 12 and set(USER_KEYS) <= set(defaults)
    repo = Path(__file__).parents[2]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{key}` |" in readme for key in USER_KEYS)
    # every key's row in docs/component.md is made from its one declaration
    from rasa_electra.components.electra_config import key_table

    assert key_table() in (repo / "docs/component.md").read_text(encoding="utf-8")


def test_no_entities_to_train_on_and_an_empty_resource_extract_nothing(tmp_path, repo):
    model_storage, resource = storage(tmp_path)
    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(repo)}
    component = ElectraEntityExtractor(config, model_storage, resource)
    with pytest.warns(UserWarning, match="no training examples with entities"):
        assert component.train(training_data(("こんにちは", []))) is resource
    loaded = ElectraEntityExtractor.load(config, model_storage, resource, None)
    assert entities_of(loaded, "山田太郎さんは東京に住んでいます。") == []


def test_overlapping_annotations_are_refused_with_the_message_text(tmp_path, repo):
    from rasa_electra.components.trainable import EntityAnnotationError

    model_storage, resource = storage(tmp_path)
    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(repo)}
    component = ElectraEntityExtractor(config, model_storage, resource)
    entities = [{"start": 0, "end": 2, "entity": "GPE"}, {"start": 1, "end": 3, "entity": "LOC"}]
    with pytest.raises(EntityAnnotationError, match=r"cannot train on '東京都'.*overlapping"):
        component.train(training_data(("東京都", entities)))


def test_a_config_error_is_one_line_in_rasa_train(repo, tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: ja\nassistant_id: test\npipeline:\n"
        "  - name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer\n"
        f"  - name: {NAME}\npolicies: []\n",
        encoding="utf-8",
    )
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [str(rasa), "train", "nlu", "--config", str(config),
         "--nlu", str(repo / "data/examples/nlu.yml"), "--out", str(tmp_path / "models")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "ElectraConfigError:" in line]
    assert len(errors) == 1 and "exactly one of `model_path`" in errors[0]


# --- the pipeline's tokens are the words --------------------------------------------------------


def tokenized_message(text: str, **tokenizer_options) -> Message:
    from rasa_electra.components.japanese_tokenizer import JapaneseTokenizer

    config = {**JapaneseTokenizer.get_default_config(), **tokenizer_options}
    message = Message(data={TEXT: text})
    JapaneseTokenizer(config).process([message])
    return message


def test_the_pipelines_tokens_are_the_words_it_tags(extractor):
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.nlu.tokenizers.tokenizer import Token

    text = "山田太郎さんは東京に住んでいます。"
    same = tokenized_message(text)  # ipadic, as the export was trained: the same answer
    extractor.process([same])
    assert same.get(ENTITIES) == entities_of(extractor, text)
    # coarser words: 東京に is one token, so no entity may end inside it
    cuts = [(0, 4), (4, 7), (7, 10), (10, 17)]
    coarse = Message(data={TEXT: text})
    coarse.set(TOKENS_NAMES[TEXT], [Token(text[a:b], a, b) for a, b in cuts])
    extractor.process([coarse])
    bounds = {a for a, _ in cuts} | {b for _, b in cuts}
    assert all(e["start"] in bounds and e["end"] in bounds for e in coarse.get(ENTITIES))


def test_other_pipeline_words_are_named_once_with_both_settings(exported_tiny, caplog):
    config = {**ElectraEntityExtractor.get_default_config(), "model_path": str(exported_tiny)}
    component = ElectraEntityExtractor(config, None, None, model=ExportedModel(exported_tiny))
    messages = [tokenized_message(t, dictionary="unidic_lite") for t in ("東京へ", "大阪へ")]
    with caplog.at_level("WARNING"):
        component.process(messages)
        component.process(messages)
    lines = [
        r.getMessage() for r in caplog.records if "pipeline tokenizer's words" in r.getMessage()
    ]
    assert len(lines) == 1 and "unidic_lite" in lines[0] and "ipadic" in lines[0]


def test_a_user_dictionary_on_the_pipeline_tokenizer_reaches_training_and_serving(
    exported_tiny, pytorch_layout_dir, tmp_path
):
    import fugashi
    import ipadic
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from rasa_electra.model import model_spec
    from rasa_electra.tokenization.mecab import mecab_args_for
    from rasa_electra.tokenization.subwords import SubwordTokenizer

    # a shop name MeCab's ipadic cuts in two (ラスエレ / 亭), one word in the user's dictionary
    (tmp_path / "user.csv").write_text(
        "ラスエレ亭,1288,1288,-5000,名詞,固有名詞,組織,*,*,*,ラスエレ亭,ラスエレテイ,ラスエレテイ\n",
        encoding="utf-8",
    )
    fugashi.build_dictionary(f"mecab-dict-index -d {ipadic.DICDIR} -u {tmp_path}/user.dic "
                             f"-f utf-8 -t utf-8 {tmp_path}/user.csv")  # fmt: skip
    args = mecab_args_for("ipadic", f'-u "{tmp_path}/user.dic"')
    text = "ラスエレ亭で会う"
    message = tokenized_message(text, mecab_args=args)
    message.set("intent", "meet")  # a training example

    # training: the start point's own analyser gives way to the pipeline's, and the export
    # keeps it
    from rasa_electra.components.trainable import use_pipeline_words

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=32)
    assert spec.tokenizer.tokenize(text).word_offsets[0] == (0, 4)
    use_pipeline_words(spec, TrainingData([message]))
    assert spec.tokenizer.tokenize(text).word_offsets[0] == (0, 5)
    spec.tokenizer.save(tmp_path / "tokenizer")
    again = SubwordTokenizer.from_directory(tmp_path / "tokenizer")
    assert again.tokenize(text).word_offsets[0] == (0, 5)

    # serving: the pipeline's word is whole, so no entity edge falls inside it
    config = {**ElectraEntityExtractor.get_default_config(), "model_path": str(exported_tiny)}
    component = ElectraEntityExtractor(config, None, None, model=ExportedModel(exported_tiny))
    component.process([message])
    assert all(e["start"] != 4 and e["end"] != 4 for e in message.get(ENTITIES))


@pytest.mark.slow
def test_rasa_train_of_config_electra_on_gsd_warns_about_nothing_it_does_not_train_on(
    repo, exported_tiny, converted_gsd, tmp_path
):
    import yaml

    from rasa_electra.data.alignment import count_misaligned
    from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
    from rasa_electra.tokenization.mecab import MecabTokenizer

    train_data = read_rasa_data(converted_gsd["v2.6-NE"] / "train.yml")
    words = MecabTokenizer().offsets  # config-electra.yml's tokenizer: ipadic
    misfits = [e for e in train_data[200:] if count_misaligned([e], words).misaligned][:8]
    slice_ = train_data[:200] + misfits
    write_rasa_yaml(slice_, tmp_path / "slice.yml")
    config = yaml.safe_load((repo / "config-electra.yml").read_text(encoding="utf-8"))
    config["pipeline"][-1]["model_path"] = str(exported_tiny)
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "slice.yml",
         "--out", "models"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    misaligned = count_misaligned(slice_, words).misaligned
    assert len(misfits) == 8 and misaligned >= 8
    # model_path mode learns nothing from the annotations: no warning per misaligned entity
    # (Rasa's check), no summary either (trainable mode logs one), no "no extractor" warning
    assert "Misaligned entity annotation" not in log
    assert "does not include an entity extractor" not in log
    assert f"{misaligned} of" not in log
    # Rasa's own data warnings stay (a label with few examples in this slice); nothing else
    others = [line for line in log.splitlines() if "UserWarning" in line]
    others = [line for line in others if "training examples!" not in line]
    assert others == []


def two_label_messages() -> list[Message]:
    messages = []
    annotated = [("東京に行く", "GPE"), ("山田さんが来た", "PERSON"), ("大阪で会う", "GPE"),
                 ("田中さんと話す", "PERSON")]  # fmt: skip
    for text, label in annotated:
        message = tokenized_message(text)
        message.set("intent", "say")
        message.set(ENTITIES, [{"start": 0, "end": 2, "value": text[:2], "entity": label}])
        messages.append(message)
    return messages


def test_average_seeds_trains_each_seed_and_serves_their_mean(pytorch_layout_dir, tmp_path):
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = two_label_messages()
    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(pytorch_layout_dir),
              "epochs": 2, "min_train_steps": 0, "max_seq_length": 24, "average_seeds": 2,
              "random_seed": 7, "keep_layers": 1}  # fmt: skip
    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.trainable import fine_tune, trained_config

    fine_tune(ExtractorConfig.parse(config), TrainingData(messages), tmp_path / "out")
    card = json.loads((tmp_path / "out" / "model_card.json").read_text(encoding="utf-8"))
    assert [(i["seed"], i["init_seed"]) for i in card["soup"]] == [(7, 7), (8, 7)]
    assert all(i["training_seconds"] > 0 for i in card["soup"])  # what the soup cost to train
    assert card["start_point"]["source"] == str(pytorch_layout_dir)
    # a soup of two 1-layer students cut from the 2-layer start point
    encoder = json.loads((tmp_path / "out" / "encoder_config.json").read_text(encoding="utf-8"))
    assert encoder["num_hidden_layers"] == 1
    from rasa.shared.exceptions import InvalidConfigException

    from rasa_electra.data.spans import Example

    served = ExportedModel(tmp_path / "out")
    assert len(served.predict([Example("東京に行く")])) == 1  # it loads and answers like any export
    # the soup keeps the memory of the bot's entities its ingredients learned
    assert served.memory.counts["東京"] == {"GPE": 1} and served.memory.counts["山田"] == {
        "PERSON": 1
    }
    # o_bias left at null: trainable mode's own, recorded in the card and served from it
    from rasa_electra import defaults

    assert card["hyperparameters"]["o_bias"] == defaults.TRAINABLE_O_BIAS != defaults.O_BIAS
    assert served.decoder.o_bias == defaults.TRAINABLE_O_BIAS
    assert card["hyperparameters"]["learning_rate"] == defaults.LEARNING_RATE  # the default
    # a start point whose head knows these labels is continued with the recipe's O bias
    assert trained_config(ExtractorConfig.parse(config), True).o_bias == defaults.O_BIAS
    told = ExtractorConfig.parse({**config, "o_bias": 0.25})
    assert trained_config(told, True).o_bias == 0.25
    with pytest.raises(InvalidConfigException, match="learning_rate must be a number ≥ 0"):
        ElectraEntityExtractor.create({**config, "learning_rate": None}, None, None, None)
    with pytest.raises(InvalidConfigException, match="average_seeds"):
        ElectraEntityExtractor.create({**config, "average_seeds": 0}, None, None, None)
    with pytest.raises(InvalidConfigException, match="keep_layers"):
        ElectraEntityExtractor.create({**config, "keep_layers": 0}, None, None, None)
    with pytest.raises(InvalidConfigException, match="has 2 encoder layers"):  # not a deep error
        fine_tune(
            ExtractorConfig.parse({**config, "keep_layers": 3}), TrainingData(messages),
            tmp_path / "too-deep",
        )  # fmt: skip


@pytest.mark.slow
def test_score_decoding_scores_the_archive_as_rasa_serves_it(repo, archive, tmp_path):
    from lab.cli import score_decoding
    from rasa_electra import defaults
    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.evaluation.rasa_agent import parse_examples

    data = repo / "data/examples/nlu.yml"
    gold = read_rasa_data(data)
    served = score_spans(gold, parse_examples(archive, [g.text for g in gold]).predictions)
    out = tmp_path / "decoding.json"
    args = ["--export", str(archive), "--data", str(data), "--backend", "auto", "--out", str(out)]
    assert score_decoding.main(args) == 0
    scores = json.loads(out.read_text())["exports"][str(archive)]
    # the component's defaults: the export's own O bias (the tiny one's is the default) and memory
    bias = f"+o_bias{defaults.O_BIAS:g}"
    assert scores["viterbi+learned+memory" + bias]["micro"]["f1"] == pytest.approx(served.micro.f1)


def test_one_seed_on_small_data_and_the_soup_above_it():
    from rasa_electra import defaults
    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.trainable import seeds_for

    config = ExtractorConfig.parse({**ElectraEntityExtractor.get_default_config(),
                                    "pretrained": "x"})  # fmt: skip
    assert config.own.average_seeds is None  # the rule decides
    assert seeds_for(config, messages=110) == 1  # a bot
    assert seeds_for(config, messages=defaults.SMALL_DATA_MESSAGES) == 1
    assert seeds_for(config, messages=defaults.SMALL_DATA_MESSAGES + 1) == 3
    assert seeds_for(config, messages=7050) == defaults.AVERAGE_SEEDS == 3  # GSD train
    told = ExtractorConfig.parse({**ElectraEntityExtractor.get_default_config(),
                                  "pretrained": "x", "average_seeds": 2})  # fmt: skip
    assert seeds_for(told, messages=110) == seeds_for(told, messages=7050) == 2
    lower = ExtractorConfig.parse({**ElectraEntityExtractor.get_default_config(),
                                   "pretrained": "x", "small_data_messages": 500})  # fmt: skip
    assert seeds_for(lower, messages=500) == 1
    assert seeds_for(lower, messages=1000) == 3


def test_small_data_keeps_the_lower_half_of_the_encoder_and_speeds_the_head_a_corpus_does_not():
    from types import SimpleNamespace

    from rasa_electra import defaults
    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.trainable import for_data_size

    def sized(messages: int, **keys) -> tuple[int, float]:
        config = ExtractorConfig.parse({**ElectraEntityExtractor.get_default_config(),
                                        "pretrained": "x", **keys})  # fmt: skip
        spec = SimpleNamespace(config=SimpleNamespace(num_hidden_layers=12))
        training = for_data_size(config.training, config, messages, spec)
        return training.freeze_layers, training.head_learning_rate

    small, corpus = defaults.SMALL_DATA_HEAD_LEARNING_RATE, defaults.HEAD_LEARNING_RATE
    assert small > corpus
    assert sized(110) == sized(1000) == (6, small)  # a bot's data
    assert sized(1001) == sized(7050) == (0, corpus)  # a corpus: every layer learns
    assert sized(110, keep_layers=4) == (2, small)  # half of the layers it keeps
    assert sized(110, freeze_layers=0, head_learning_rate=0.001) == (0, 0.001)  # the config's
    assert sized(7050, freeze_layers=3, head_learning_rate=0.05) == (3, 0.05)
    # config-electra-crf.yml's lower threshold: 1,000 messages are a corpus there
    assert sized(500, small_data_messages=500) == (6, small)
    assert sized(1000, small_data_messages=500) == (0, corpus)


def test_trainable_mode_converts_from_memory_and_writes_no_savedmodel(pytorch_layout_dir, tmp_path):
    """With ``backend: auto``'s conversions, a soup's ingredients and the served model are
    exported without a SavedModel: the int8 ONNX is written from the weights file and checked
    against the model still in memory, and it serves the same entities as that model."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.trainable import fine_tune
    from rasa_electra.data.spans import Example
    from rasa_electra.serving import ServingOptions, open_export

    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(pytorch_layout_dir),
              "epochs": 2, "min_train_steps": 0, "max_seq_length": 24, "average_seeds": 2,
              "keep_layers": 1}  # fmt: skip
    out = tmp_path / "out"
    fine_tune(ExtractorConfig.parse(config), TrainingData(two_label_messages()), out,
              conversions=(("onnx-dynamic",),))  # fmt: skip
    assert not (out / "saved_model.pb").exists() and (out / "weights.safetensors").is_file()
    report = json.loads((out / "formats" / "formats.json").read_text(encoding="utf-8"))
    assert report["fastest"] == "onnx-dynamic" and report["formats"]["onnx-dynamic"]["offered"]
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert [i["seed"] for i in card["soup"]] == [42, 43]
    served = open_export(out, ServingOptions())  # backend auto: the ONNX, no SavedModel needed
    texts = [Example(t) for t in ("東京に行く", "山田さんが来た")]
    assert len(served.predict(texts)) == 2
    assert report["formats"]["onnx-dynamic"]["dev"]["same_spans"] >= 0.75  # its 4 messages
