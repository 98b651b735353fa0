"""Layers import only downwards: every ``hrom`` import of every module (function-level ones too),
read from the source with ``ast``, against the layer diagram.

    base (errors, config, io, paths, procs, geometry, ...)
      <- models <- data <- training
      <- models <- tracking <- benchmarks
                   tracking <- export      (export registers its backend; tracking never imports it)
    cli, trax_server, vot_cli: anything

``training -> benchmarks`` is the one edge across the two chains: the per-epoch evaluation hook.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGES = {"models", "data", "training", "tracking", "benchmarks", "export", "cli"}
TOP = {"cli", "trax_server", "vot_cli", "__main__"}  # front ends: may import any layer
ALLOWED = {
    "base": {"base"},
    "models": {"base", "models"},
    "data": {"base", "models", "data"},
    "tracking": {"base", "models", "tracking"},
    "export": {"base", "models", "tracking", "export"},
    "benchmarks": {"base", "models", "tracking", "benchmarks"},
    "training": {"base", "models", "data", "training", "benchmarks"},
}
ACYCLIC = ("hrom.models", "hrom.data", "hrom.tracking", "hrom.export")  # no import cycle inside these


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted((SRC / "hrom").rglob("*.py"))}


def _layer(module: str) -> str:
    """``hrom.models.x`` -> models; ``hrom.cli...`` / ``hrom.trax_server`` -> top; other top-level modules -> base."""
    parts = module.split(".")
    if len(parts) == 1:
        return "root"  # the package itself (__version__; its load_model facade)
    return "top" if parts[1] in TOP else parts[1] if parts[1] in PACKAGES else "base"


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported hrom module) for every import statement, wherever it is in the file."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "hrom"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "hrom":
                continue
            for alias in node.names:  # `from hrom.models import checkpoint` imports a module
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else target))
    return found


def test_every_module_imports_only_downwards():
    violations = []
    for module, path in MODULES.items():
        layer = _layer(module)
        if layer in ("top", "root"):
            continue
        for line, target in _imports(module, path):
            if _layer(target) not in ALLOWED[layer] | {"root"}:
                violations.append(f"{path.relative_to(SRC)}:{line}: {layer} imports {target} ({_layer(target)})")
    assert not violations, "imports against the layer diagram:\n" + "\n".join(violations)


def test_no_import_cycles_inside_the_lower_packages():
    graph = {m: {t for _, t in _imports(m, p) if t in MODULES} for m, p in MODULES.items() if m.startswith(ACYCLIC)}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return trail + [node, nxt]
            if nxt not in state and (cycle := visit(nxt, trail + [node])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [])):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    """The parser itself: an import inside a function and a relative one are both found."""
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from hrom.export.onnx_backend import x\nfrom .crop import y\n")
    assert sorted(_imports("hrom.tracking.mod", path)) == [(2, "hrom.export.onnx_backend"), (3, "hrom.tracking.crop")]
