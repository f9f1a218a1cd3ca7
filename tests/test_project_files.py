"""config.yml and domain.yml are what Rasa itself accepts."""

from rasa.shared.core.domain import Domain
from rasa.shared.utils.io import read_config_file

GSD_LABELS = {
    "PERSON", "DATE", "ORG", "GPE", "QUANTITY", "PRODUCT", "ORDINAL", "FAC", "NORP",
    "WORK_OF_ART", "LOC", "TITLE_AFFIX", "EVENT", "MONEY", "TIME", "PERCENT", "MOVEMENT",
    "LANGUAGE", "LAW", "PET_NAME", "CARDINAL", "PHONE",
}  # fmt: skip


def test_domain_is_valid_and_lists_every_gsd_label(repo):
    domain = Domain.load(str(repo / "domain.yml"))
    assert set(domain.entities) == GSD_LABELS
    assert "gsd_sentence" in domain.intents  # Rasa adds its default intents beside it


def test_config_uses_the_japanese_tokenizer_and_crf(repo):
    config = read_config_file(str(repo / "config.yml"))
    names = [step["name"] for step in config["pipeline"]]
    assert config["language"] == "ja"
    assert names[0] == "rasa_electra.components.japanese_tokenizer.JapaneseTokenizer"
    # Rasa's CRF that stores its fitted models (loads without refitting)
    assert "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor" in names
