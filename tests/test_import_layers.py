"""The package's layers point down and no module imports itself back through others.

Walks the source (``ast``, nothing imported): every ``rasa_electra`` import, at module level or
inside a function, is an edge. Layers, bottom first: data (spans, readers, metrics,
alignment) < tokenization < model < serving < components < evaluation < cli. The lab (``lab/``:
experiments and pretraining) sits on top and the product never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rasa_electra"
LAYERS = {"data": 0, "tokenization": 1, "model": 2, "serving": 3, "components": 4,
          "evaluation": 5, "cli": 6}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                # `from pkg import submodule` is an edge to the submodule, not to pkg/__init__
                submodules = [f"{node.module}.{a.name}" for a in node.names]
                targets = [t for t in submodules if t in modules] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def test_layers_only_point_down() -> None:
    upward = [
        f"{source} -> {target}"
        for source, targets in import_graph().items()
        for target in targets
        if layer(source) in LAYERS and layer(target) in LAYERS
        and LAYERS[layer(target)] > LAYERS[layer(source)]
    ]  # fmt: skip
    assert upward == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_walker_sees_edges() -> None:
    graph = import_graph()
    assert "rasa_electra.data.spans" in graph["rasa_electra.data.span_metrics"]
    assert layer("rasa_electra.model.ner") == "model"


def test_the_product_never_imports_the_lab() -> None:
    """A bot builder installs ``rasa_electra`` alone: an import of ``lab`` would fail there."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {alias}"
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for alias in (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module
            else [a.name for a in node.names] if isinstance(node, ast.Import) else []
        )
        if alias == "lab" or alias.startswith("lab.")
    ]  # fmt: skip
    assert found == []
