"""config.yml and domain.yml are what Rasa itself accepts; the docs' tables match the code."""

import json
import re
import subprocess
from collections import defaultdict

from rasa.shared.core.domain import Domain
from rasa.shared.utils.io import read_config_file

from rasa_electra.data import gsd


def test_domain_is_valid_and_lists_every_gsd_label(repo):
    domain = Domain.load(str(repo / "domain.yml"))
    assert set(domain.entities) == gsd.LABELS
    assert "gsd_sentence" in domain.intents  # Rasa adds its default intents beside it


def test_config_uses_the_japanese_tokenizer_and_crf(repo):
    config = read_config_file(str(repo / "config.yml"))
    names = [step["name"] for step in config["pipeline"]]
    assert config["language"] == "ja"
    assert names[0] == "rasa_electra.components.japanese_tokenizer.JapaneseTokenizer"
    # Rasa's CRF that stores its fitted models (loads without refitting)
    assert "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor" in names


def test_the_documented_ginza_label_table_is_the_one_the_harness_uses(repo):
    import spacy

    from rasa_electra.evaluation.peers import ginza_label_map

    predicted = set(spacy.load("ja_ginza").get_pipe("ner").labels)
    expected = defaultdict(set)
    for ene, label in ginza_label_map().items():
        if ene in predicted:
            expected[label].add(ene)
    expected["(dropped)"] = predicted - set(ginza_label_map())
    text = (repo / "docs/peers.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z_]+|\(dropped\)) \| ([A-Za-z_, ]+) \|$", text, flags=re.M)
    assert {label: set(types.split(", ")) for label, types in rows} == expected


def make_plan(repo, *arguments: str) -> str:
    """What `make -n ARGUMENTS` would run: the commands, not their work."""
    dry = subprocess.run(["make", "-n", *arguments], cwd=repo, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    return dry.stdout


def test_every_ablation_lever_names_its_head(repo):
    """The default head changed once (softmax → CRF); a lever that left it unsaid would have
    measured the CRF head under the softmax row's name."""
    levers = (
        "softmax crf-head word-features crf-head-pos-features sudachi-b-one-start "
        "crf-head-lr5e4 crf-head-e20 adapted-crf-head-lr2e4"
    )
    plan = make_plan(repo, "-f", "lab/Makefile", "ablation", f"ABLATION_LEVERS={levers}",
                     "ABLATION_SEEDS=42", "ABLATION_DIR=/nonexistent")  # fmt: skip
    calls = re.findall(r'echo "== ([\w-]+), seed 42"; (.*?) --out', plan)
    heads = {lever: re.findall(r"--head (\w+)", call) for lever, call in calls}
    assert heads == {"softmax": ["softmax"], "crf-head": ["crf"], "word-features": ["softmax"],
                     "crf-head-pos-features": ["crf"], "sudachi-b-one-start": ["crf"],
                     "crf-head-lr5e4": ["crf"], "crf-head-e20": ["crf"],
                     "adapted-crf-head-lr2e4": ["crf"]}  # fmt: skip
    # a schedule lever's own setting comes last, so the command line's parser keeps it
    schedule = dict(calls)
    assert re.findall(r"--learning-rate (\S+)", schedule["crf-head-lr5e4"])[-1] == "5e-4"
    assert re.findall(r"--epochs (\d+)", schedule["crf-head-e20"])[-1] == "20"
    starts = {lever: re.findall(r"--start-point (\S+)", call)[-1] for lever, call in calls}
    assert starts.pop("adapted-crf-head-lr2e4") == "pretrained/electra-small-ja"
    assert set(starts.values()) == {pretraining_encoder(repo)}


def pretraining_encoder(repo) -> str:
    """Where experiments start: the shipped folder, or once it is self-trained, the commit
    its card names, restored into models/."""
    card = json.loads((repo / "pretrained/electra-small-ja/pretraining_card.json").read_text())
    commit = card.get("adaptation", {}).get("pretraining_commit")
    return (
        f"models/electra-small-ja-pretrained-{commit}" if commit else "pretrained/electra-small-ja"
    )


def test_experiments_start_from_the_pretrained_weights_an_adapted_encoder_names(repo, tmp_path):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "pretraining_card.json").write_text(
        json.dumps({"steps": 3, "adaptation": {"pretraining_commit": "0123abc"}}, indent=2)
    )
    plan = make_plan(repo, "-f", "lab/Makefile", "ablation", "ABLATION_LEVERS=crf-head",
                     "ABLATION_SEEDS=42", "ABLATION_DIR=/nonexistent",
                     f"SHIPPED_ENCODER={shipped}")  # fmt: skip
    target = "models/electra-small-ja-pretrained-0123abc"
    assert f"git archive 0123abc {shipped} | tar -x -C {target}" in plan
    assert f"--start-point {target} " in plan


def test_the_demo_trains_the_pipeline_a_bot_is_told_to_use(repo, tmp_path):
    """`make demo` is a new user's first figure: it trains config-electra-crf.yml in trainable
    mode beside config.yml's CRF, and a START_POINT changes that config's encoder and nothing
    else."""
    plan = make_plan(repo, "demo", "MODEL_DIR=/nonexistent")
    assert "train nlu --config config.yml " in plan
    assert "train nlu --config /nonexistent/config-electra-crf-v2_6-NE.yml " in plan
    assert "--model /nonexistent/electra-crf-gsd-v2_6-NE.tar.gz --data" in plan
    assert "electra-demo" not in plan  # the fine-tuning command's export is not the demo's

    def written(plan: str) -> dict:
        (copy,) = re.findall(r"^(sed .* config-electra-crf\.yml) > \S+$", plan, re.MULTILINE)
        out = tmp_path / "config.yml"
        subprocess.run(f"{copy} > {out}", shell=True, cwd=repo, check=True)
        return read_config_file(out)

    shipped = read_config_file(repo / "config-electra-crf.yml")
    assert written(plan) == shipped  # it names the installed encoder package already
    other = written(
        make_plan(repo, "demo", "MODEL_DIR=/nonexistent", "START_POINT=models/my-encoder")
    )
    (extractor,) = [c for c in other["pipeline"] if c["name"].endswith("ElectraEntityExtractor")]
    assert extractor["pretrained"] == "models/my-encoder"
    extractor["pretrained"] = "electra-small-ja"
    assert other == shipped
