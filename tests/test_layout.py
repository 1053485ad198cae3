"""The package layout shows the pipeline: imports only go down the stages, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "arabic_ie"
# Each stage may import the stages before it (and itself), never one after it.
STAGES = ["data", "model", "evaluate", "train", "package", "infer", "serve"]
SIDE = {"analysis": {"data", "evaluate"}, "pretraining": {"data", "model", "train", "package"}}
LEAVES = {"versions"}  # arabic_ie/versions.py: standard library only, usable by every stage


def _imports(path: Path) -> set[str]:
    """The arabic_ie subpackages (first component after arabic_ie) a module imports, lazily or not."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "arabic_ie" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] == "arabic_ie" and isinstance(node, ast.ImportFrom):
                found.update(a.name for a in node.names if (SRC / a.name).is_dir())
    return found


def test_imports_only_go_down_the_stages():
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        if len(parts) < 2:
            continue  # arabic_ie/__init__.py and the leaves sit on top
        stage = parts[0]
        if stage in SIDE:
            allowed = SIDE[stage] | {stage}
        else:
            allowed = set(STAGES[: STAGES.index(stage) + 1])
        bad = _imports(path) - allowed - LEAVES
        if bad:
            wrong.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from arabic_ie.infer.tagger import load\n", encoding="utf-8")
    assert _imports(module) == {"infer"}


def test_no_module_is_over_about_300_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 330}
    assert not long, long
