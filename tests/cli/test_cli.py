"""The command-line entry points, run as a user runs them."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_convert_writes_yaml_markdown_and_summary(tmp_path, repo, mini_bio):
    source = tmp_path / "release"
    source.mkdir()
    for split in ("train", "dev", "test"):
        (source / f"{split}.bio").write_bytes(mini_bio.read_bytes())
    out = tmp_path / "out"
    result = run("rasa_electra.cli.convert", "--source", str(source), "--out", str(out), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "PERSON" in result.stdout and "round-trip mismatches yaml=0 markdown=0" in result.stdout
    assert "CRLF line ending, read as LF: 10 line(s)" in result.stderr
    for split in ("train", "dev", "test"):
        assert len(read_rasa_data(out / f"{split}.yml")) == 3
        assert (
            (out / f"{split}.md").read_text(encoding="utf-8").startswith("## intent:gsd_sentence")
        )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["train"]["labels"] == {"PERSON": 1, "GPE": 1, "ORG": 2, "DATE": 1}


def test_convert_names_the_bad_line(tmp_path, repo):
    source = tmp_path / "release"
    source.mkdir()
    for split in ("train", "dev", "test"):
        (source / f"{split}.bio").write_text("東京\tB-GPE\nに\tI-ORG\n", encoding="utf-8")
    result = run(
        "rasa_electra.cli.convert", "--source", str(source), "--out", str(tmp_path / "o"), cwd=repo
    )
    assert result.returncode == 2
    assert f"{source / 'train.bio'}:2: I-ORG after 'GPE' entity" in result.stderr


def test_convert_without_data_says_how_to_point_at_it(tmp_path, repo):
    result = run(
        "rasa_electra.cli.convert",
        "--source",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
        cwd=repo,
    )
    assert result.returncode == 2
    assert "holds neither {train,dev,test}.bio nor a v2.6-NE/ folder" in result.stderr


def test_download_failure_is_a_clear_error(tmp_path, repo, monkeypatch):
    from rasa_electra.data import gsd

    # no network here: the real download code runs against an address that refuses at once
    monkeypatch.setattr(gsd, "RELEASE_URL", "http://127.0.0.1:9/{version}/{split}.bio")
    monkeypatch.delenv(gsd.ENV_VAR, raising=False)
    try:
        gsd.locate("v2.6-NE", cache=tmp_path)
    except gsd.GsdNotFoundError as error:
        assert "could not download http://127.0.0.1:9/v2.6-NE/train.bio" in str(error)
        assert "--source DIR" in str(error)
    else:
        raise AssertionError("download should have failed")
    assert not list(tmp_path.rglob("*.part"))


def test_md2yaml_converts_a_users_rasa2_file(tmp_path, repo):
    source = tmp_path / "nlu.md"
    source.write_text("## intent:greet\n- [東京](GPE)からこんにちは\n", encoding="utf-8")
    result = run("rasa_electra.cli.md2yaml", str(source), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "1 examples, 1 entities, 0 other sections; 0 round-trip mismatches" in result.stdout
    assert read_rasa_data(tmp_path / "nlu.yml")[0].entities() == [("東京", "GPE")]


def test_every_listed_command_is_a_module_with_main_and_unknown_ones_are_refused(capsys):
    import importlib

    from rasa_electra.cli import COMMANDS
    from rasa_electra.cli.__main__ import main

    modules = {
        p.stem
        for p in Path(importlib.import_module("rasa_electra.cli").__file__).parent.glob("*.py")
    }
    assert {name.replace("-", "_") for name in COMMANDS} == modules - {"__init__", "__main__"}
    assert main(["--help"]) == 0 and "finetune" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2 and "unknown command" in capsys.readouterr().err


def test_boundaries_counts_entities_per_dictionary(repo, capsys):
    from rasa_electra.cli.boundaries import main

    nlu = str(repo / "data/examples/nlu.yml")
    assert main([nlu, "--dictionaries", "ipadic,unidic_lite", "--normalizations", "none,NFKC"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ipadic")
            or line.startswith("| unidic_lite")]  # fmt: skip
    assert len(rows) == 4 and all(" of 51 |" in row for row in rows)


def test_score_decoding_compares_every_decoding_of_one_export(exported_tiny, repo, tmp_path):
    from lab.cli import score_decoding
    from rasa_electra import defaults
    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.serving.servable import ExportedModel

    data = repo / "data/examples/nlu.yml"
    out = tmp_path / "decoding.json"
    args = ["--export", str(exported_tiny), "--export", str(exported_tiny), "--data", str(data)]
    assert score_decoding.main([*args, "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    scores = report["exports"][str(exported_tiny)]
    decodings = {"argmax", "viterbi", "viterbi+learned"}  # the tiny export has a CRF
    decodings |= {f"{name}+memory" for name in decodings}  # and a memory
    bias = f"+o_bias{defaults.O_BIAS:g}"  # each at 0 and at the default O bias
    assert set(scores) == decodings | {name + bias for name in decodings}
    # what the export serves by default is the learned Viterbi with its memory and the default
    # O bias, measured alike
    gold = read_rasa_data(data)
    served = score_spans(gold, ExportedModel(exported_tiny).predict(gold)).micro.f1
    assert scores["viterbi+learned+memory" + bias]["micro"]["f1"] == pytest.approx(served, abs=1e-6)
    assert report["summary"]["viterbi"]["f1"]["std"] == 0  # the same export twice


def test_score_decoding_scores_a_converted_format_as_the_component_serves_it(
    formats_export, exported_tiny, repo, tmp_path
):
    from lab.cli import score_decoding
    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.serving import backends

    data = repo / "data/examples/nlu.yml"
    out = tmp_path / "decoding.json"
    args = ["--export", str(formats_export), "--data", str(data), "--o-bias", "0.25"]
    onnx = [*args, "--backend", "onnx", "--quantization", "dynamic", "--out", str(out)]
    assert score_decoding.main(onnx) == 0
    scores = json.loads(out.read_text())["exports"][str(formats_export)]
    gold = read_rasa_data(data)
    model = backends.load(formats_export, "onnx", "dynamic")
    model.use_decoding("viterbi", 0.25)
    served = score_spans(gold, model.predict(gold)).micro.f1
    assert scores["viterbi+learned+memory+o_bias0.25"]["micro"]["f1"] == pytest.approx(served)
    # a format the export was not converted to is refused by name, not a traceback
    with pytest.raises(SystemExit) as refused:
        score_decoding.main(["--export", str(exported_tiny), "--data", str(data),
                             "--backend", "onnx"])  # fmt: skip
    assert refused.value.code == 2


def test_ablation_groups_runs_by_lever_and_reports_mean_and_std(tmp_path, capsys):
    from lab.cli import ablation

    def write_run(name: str, f1: float) -> None:
        micro = {"precision": f1, "recall": f1, "f1": f1}
        trial = {"dev": {"micro": micro, "per_label": {}}, "best_epoch": 9,
                 "epochs": [{"epoch": 1, "seconds": 100.0, "dev_f1": f1 - 0.1},
                            {"epoch": 2, "seconds": 120.0, "dev_f1": f1}]}  # fmt: skip
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps({"trials": [trial]}))

    write_run("crf-head-s42", 0.60)
    write_run("crf-head-s43", 0.62)
    write_run("softmax-s42", 0.50)
    (tmp_path / "unfinished-s44").mkdir()  # no results.json yet: left out
    plot = tmp_path / "curves.png"
    decoding = tmp_path / "decoding.json"
    stat = {"mean": 0.5, "std": 0.0}
    decoding.write_text(json.dumps({"exports": {"a": {}}, "summary": {
        "argmax": {"precision": stat, "recall": stat, "f1": stat}}}))  # fmt: skip
    args = ["--runs", str(tmp_path), "--order", "softmax,crf-head", "--plot", str(plot),
            "--decoding", f"softmax={decoding}"]  # fmt: skip
    assert ablation.main(args) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")][2:]
    assert rows[0].startswith("| softmax models, decoded by argmax | 1 |")
    rows = rows[1:]
    assert [row.split(" | ")[0] for row in rows] == ["| softmax", "| crf-head"]
    assert "**61.00 ± 1.41**" in rows[1] and "| 2 |" in rows[1] and "| 110 |" in rows[1]

    # the record keeps the summaries where the runs are not, and prices a shortened run
    record = tmp_path / "ablation.json"
    assert ablation.main([*args, "--record", str(record)]) == 0
    recorded = json.loads(record.read_text())
    assert recorded["levers"]["crf-head"]["runs"] == 2
    assert recorded["levers"]["crf-head"]["dev"]["f1"]["mean"] == pytest.approx(0.61)
    assert recorded["levers"]["softmax+argmax"]["dev"]["f1"] == stat  # a decoding row too
    capsys.readouterr()
    short = tmp_path / "softmax-s42" / "results.json"
    assert ablation.main(["--recorded", str(record), "--cost", str(short), "--lever",
                          "crf-head"]) == 0  # fmt: skip
    said = capsys.readouterr().out
    assert "dev F1 50.00" in said and "61.00 ± 1.41 over 2" in said
    assert "costs 11.00 dev F1 points" in said
    with pytest.raises(SystemExit):  # a lever the record does not have is named, not a KeyError
        ablation.main(["--recorded", str(record), "--cost", str(short), "--lever", "nope"])
    assert "no lever 'nope'" in capsys.readouterr().err


def test_ablation_adds_new_seeds_to_a_recorded_lever_as_if_all_had_been_run_together(
    tmp_path, capsys
):
    from lab.cli import ablation

    def write_run(runs: Path, seed: int, p: float, r: float, f1: float) -> None:
        trial = {"seed": seed, "dev": {"micro": {"precision": p, "recall": r, "f1": f1},
                 "per_label": {}}, "best_epoch": 9, "chosen": str(seed),
                 "epochs": [{"epoch": 1, "seconds": 10.0 * seed, "dev_f1": f1}]}  # fmt: skip
        (runs / f"lever-s{seed}").mkdir(parents=True)
        (runs / f"lever-s{seed}" / "results.json").write_text(json.dumps({"trials": [trial]}))

    scores = {42: (0.61, 0.70, 0.65), 43: (0.66, 0.68, 0.67), 44: (0.58, 0.71, 0.64)}
    together, before, after = tmp_path / "all", tmp_path / "before", tmp_path / "after"
    for seed, figures in scores.items():
        write_run(together, seed, *figures)
        write_run(before if seed < 44 else after, seed, *figures)
    whole, record = tmp_path / "whole.json", tmp_path / "record.json"
    assert ablation.main(["--runs", str(together), "--record", str(whole)]) == 0
    assert ablation.main(["--runs", str(before), "--record", str(record)]) == 0
    recorded = json.loads(record.read_text())
    assert recorded["levers"]["lever"]["seeds"] == [42, 43]
    capsys.readouterr()

    merged = tmp_path / "merged.json"
    args = ["--recorded", str(record), "--runs", str(after), "--record", str(merged)]
    assert ablation.main(args) == 0
    row, expected = (json.loads(path.read_text())["levers"]["lever"] for path in (merged, whole))
    assert row["runs"] == 3 and row["seeds"] == [42, 43, 44]
    for key in ("precision", "recall", "f1"):
        assert row["dev"][key] == pytest.approx(expected["dev"][key], abs=2e-6)
    assert row["seconds_per_epoch"] == pytest.approx(expected["seconds_per_epoch"])
    assert "**65.33 ± 1.53**" in capsys.readouterr().out
    assert json.loads(merged.read_text())["earlier"][0]["command"] == recorded["command"]
    assert row["curves"] == [[[1, 65.0]], [[1, 67.0]], [[1, 64.0]]]  # drawn with no run on disk
    plot = tmp_path / "curves.png"
    assert ablation.main(["--recorded", str(merged), "--plot", str(plot)]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # runs the record counts already leave it as it is; every seed again replaces the row
    assert ablation.main(["--recorded", str(merged), "--runs", str(before)]) == 0
    assert "**65.33 ± 1.53**" in capsys.readouterr().out
    assert ablation.main(["--recorded", str(merged), "--runs", str(together)]) == 0
    # seeds partly counted and partly new cannot be pooled; a record without seeds cannot either
    write_run(after, 45, 0.60, 0.60, 0.60)
    with pytest.raises(SystemExit):
        ablation.main(["--recorded", str(merged), "--runs", str(after)])
    assert "hold some of the record's" in capsys.readouterr().err
    shutil.rmtree(after / "lever-s45")
    del recorded["levers"]["lever"]["seeds"]
    record.write_text(json.dumps(recorded))
    with pytest.raises(SystemExit):
        ablation.main(["--recorded", str(record), "--runs", str(after)])
    assert "--recorded-seeds lever=42,43" in capsys.readouterr().err
    stamped = tmp_path / "stamped.json"
    args = ["--recorded", str(record), "--runs", str(after), "--recorded-seeds", "lever=42,43"]
    assert ablation.main([*args, "--record", str(stamped)]) == 0
    assert "**65.33 ± 1.53**" in capsys.readouterr().out
    # make ablation runs a seed only where neither the disk nor the record has it
    assert ablation.main(["--recorded", str(stamped), "--holds", "lever=44"]) == 0
    assert ablation.main(["--recorded", str(stamped), "--holds", "lever=45"]) == 1
    assert ablation.main(["--recorded", str(record), "--holds", "lever=42"]) == 1  # seeds unsaid


def test_entity_memory_gives_an_export_the_labels_of_a_training_file(exported_tiny, tmp_path):
    from lab.cli import entity_memory
    from rasa_electra.data.entity_memory import MEMORY_FILE, EntityMemory
    from rasa_electra.serving.servable import ExportedModel

    export = tmp_path / "export"
    shutil.copytree(exported_tiny, export)
    (export / MEMORY_FILE).unlink()
    train = tmp_path / "train.yml"
    train.write_text(
        'version: "3.1"\nnlu:\n- intent: say\n  examples: |\n'
        "    - [東京](GPE)に行く\n    - [東京](GPE)で会う\n    - [東京](ORG)の本社\n",
        encoding="utf-8",
    )
    assert entity_memory.main(["--export", str(export), "--train", str(train)]) == 0
    memory = ExportedModel(export).memory
    assert memory.counts == {"東京": {"GPE": 2, "ORG": 1}} and memory.label_for("東京") is None
    assert (
        EntityMemory.load(export, ExportedModel(export).labels, 0.6).label_for("東京")[0] == "GPE"
    )
    train.write_text(train.read_text(encoding="utf-8").replace("(ORG)", "(SHIP)"), "utf-8")
    with pytest.raises(SystemExit):  # a label the export cannot predict is refused
        entity_memory.main(["--export", str(export), "--train", str(train)])


def test_the_commands_print_nothing_above_their_own_output(repo):
    """Rasa's stack prints deprecation warnings at import; the commands filter them."""
    for command in (["rasa_electra.cli.evaluate", "--help"], ["rasa_electra.cli", "--help"]):
        result = subprocess.run([sys.executable, "-m", *command], cwd=repo, capture_output=True,
                                text=True, timeout=300)  # fmt: skip
        assert result.returncode == 0 and result.stdout.startswith("usage:")
        assert result.stderr == ""


def test_rasa_command_trains_with_rasas_own_output_first(tmp_path, repo):
    """`rasa-electra rasa` is Rasa's CLI: a real `rasa train nlu`, with none of the deprecation
    warnings Rasa's stack prints (Sanic's, SQLAlchemy's, pyparsing's), and Rasa's own kept."""
    result = run("rasa_electra.cli", "rasa", "train", "nlu", "--config", "config.yml",
                 "--nlu", "examples/booking_bot/data/nlu.yml", "--out", str(tmp_path),
                 "--fixed-model-name", "crf", cwd=repo)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "crf.tar.gz").is_file()
    assert "Deprecat" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert "roles/groups" in result.stdout + result.stderr  # Rasa's warning on this config
