"""A codebase a new maintainer can hold in their head: short functions, a small component,
commands that are a user's, and no lab in the product."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LONGEST_FUNCTION = 80  # lines
COMPONENT_LINES = 350


def test_no_function_of_the_product_is_longer_than_80_lines():
    long = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path in sorted((REPO / "rasa_electra").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert long == []


def test_the_component_reads_in_one_sitting():
    component = REPO / "rasa_electra/components/electra_entity_extractor.py"
    assert len(component.read_text(encoding="utf-8").splitlines()) < COMPONENT_LINES


def test_the_product_s_commands_are_a_user_s_and_the_lab_s_are_apart():
    from lab.cli import COMMANDS as LAB
    from rasa_electra.cli import COMMANDS

    assert set(COMMANDS) == {"convert", "md2yaml", "split-data", "boundaries", "finetune",
                             "export-formats", "evaluate", "parse", "annotate", "info", "rasa",
                             "scoreboard", "benchmark-serving", "benchmark-training"}  # fmt: skip
    modules = {p.stem.replace("_", "-") for p in (REPO / "rasa_electra/cli").glob("*.py")}
    assert modules - {"--init--", "--main--"} == set(COMMANDS)
    lab_modules = {p.stem.replace("_", "-") for p in (REPO / "lab/cli").glob("*.py")}
    assert lab_modules - {"--init--"} == set(LAB) and not set(LAB) & set(COMMANDS)
