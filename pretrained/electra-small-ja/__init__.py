"""rasa-electra's shipped Japanese ELECTRA-small encoder, installed as a model: its files sit
beside this module, and ``pretrained: electra-small-ja`` finds them through the
``rasa_electra.models`` entry point (``rasa_electra.model.model_spec.installed_models``)."""
