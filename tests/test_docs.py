"""The commands in README.md and docs/*.md parse: every `python scripts/NAME.py ARGS` (also under
torchrun or accelerate launch) names an existing script whose Hydra config composes with those
overrides, and every `make X` names a Makefile target. Nothing is trained and no data is read.

Commands come from ```bash / ```sh / ```console blocks (line continuations joined, comments
dropped) and from inline `python scripts/...` spans. A command that does not parse is a docs bug.
"""

from __future__ import annotations

import functools
import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

BLOCK = re.compile(r"^```[ \t]*(bash|sh|console|shell)[ \t]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"(?<!`)`((?:python3?|torchrun|accelerate launch) [^`]*scripts/[^`]+)`(?!`)")
ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
PLACEHOLDER = re.compile(r"<[^<>\s]+>")
MULTIRUN = {"-m", "--multirun"}


def _block_commands(text: str):
    for match in BLOCK.finditer(text):
        start_line = text[: match.start()].count("\n") + 2
        lines = match.group(2).split("\n")
        buffer, first = "", None
        for offset, line in enumerate(lines):
            if match.group(1) == "console":
                line = re.sub(r"^\s*[$#>] ", "", line)
            if first is None:
                first = start_line + offset
            stripped = line.rstrip()
            if stripped.endswith("\\"):
                buffer += stripped[:-1] + " "
                continue
            buffer += line
            if buffer.strip():
                yield first, buffer.strip()
            buffer, first = "", None


def _inline_commands(text: str):
    for match in INLINE.finditer(text):
        yield text[: match.start()].count("\n") + 1, match.group(1)


def _words(command: str) -> list[str]:
    words = shlex.split(command, comments=True)
    while words and ENV.match(words[0]):  # VAR=value python scripts/...
        words.pop(0)
    return words


def _script_and_args(words: list[str]):
    """(script path, arguments) of a command that runs a script in scripts/, else None."""
    if not words:
        return None
    if words[0] == "torchrun" or words[:2] == ["accelerate", "launch"]:
        for i, word in enumerate(words):
            if word.endswith(".py"):
                return word, words[i + 1:]
        raise AssertionError(f"no script in {' '.join(words)!r}")
    if re.fullmatch(r"(.*/)?python3?", words[0]) and len(words) > 1 and words[1].startswith("scripts/"):
        return words[1], words[2:]
    return None


def collect() -> dict[str, str]:
    """{command: FILE:LINE of its first occurrence}."""
    commands: dict[str, str] = {}
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        found = [*_block_commands(text), *_inline_commands(text)]
        for line, command in found:
            words = _words(command)
            if words[:1] == ["make"] or _script_and_args(words):
                commands.setdefault(command, f"{path.relative_to(REPO)}:{line}")
    return commands


COMMANDS = collect()


def _hydra_main(script: Path):
    source = script.read_text(encoding="utf-8")
    match = re.search(r"@hydra\.main\(([^)]*)\)", source)
    if match is None:
        return None
    args = match.group(1)
    name = re.search(r"config_name\s*=\s*['\"]([^'\"]+)['\"]", args)
    version = re.search(r"version_base\s*=\s*['\"]([^'\"]+)['\"]", args)
    assert name, f"{script.name}: no config_name in @hydra.main"
    return name.group(1), version.group(1) if version else None


def _setup():
    """What the entry points do before Hydra runs: scripts/_bootstrap.py (PROJECT_ROOT, src/ on
    sys.path, the trainer schema, the launch_time resolver)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    importlib.import_module("_bootstrap")
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("first_set"):  # registered by scripts/evaluate.py at import
        OmegaConf.register_new_resolver("first_set", lambda *values: next((v for v in values if v), None))


def _is_group(key: str) -> bool:
    key = key.lstrip("+~")
    return "." not in key and (REPO / "configs" / key).is_dir()


def compose_variants(overrides: list[str], multirun: bool) -> list[list[str]]:
    """The override lists to compose for one command: a sweep (a,b,c) with its first value, and once
    per other value where it chooses a config group option (model=a,b). Raises if an override does
    not parse, or is a sweep without -m."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    overrides = [PLACEHOLDER.sub("PLACEHOLDER", o) for o in overrides]
    parsed = OverridesParser.create().parse_overrides(overrides)
    sweeps = [i for i, o in enumerate(parsed) if o.is_sweep_override()]
    assert multirun or not sweeps, f"sweep {[overrides[i] for i in sweeps]} needs -m"
    values = {i: list(parsed[i].sweep_string_iterator()) for i in sweeps}
    keys = {i: overrides[i].split("=", 1)[0] for i in sweeps}
    assert all(values.values()), f"empty sweep in {overrides}"
    base = [f"{keys[i]}={values[i][0]}" if i in values else o for i, o in enumerate(overrides)]
    return [base] + [base[:i] + [f"{keys[i]}={v}"] + base[i + 1:]
                     for i in sweeps if _is_group(keys[i]) for v in values[i][1:]]


def plan(command: str) -> list[tuple[str, str | None, list[str]]]:
    """Check what needs no Hydra (script, Makefile target, argparse options, override syntax) and
    return the compositions that prove the rest: (config name, version_base, overrides)."""
    words = _words(command)
    if words[0] == "make":
        makefile = (REPO / "Makefile").read_text(encoding="utf-8")
        targets = set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", makefile, re.MULTILINE))
        goals = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        assert goals, f"{command!r}: no target"
        for goal in goals:
            assert goal in targets, f"{command!r}: no target {goal!r} in the Makefile ({sorted(targets)})"
        args = [w.split("=", 1)[1] for w in words[1:] if w.startswith("ARGS=")]
        if "train" in goals and args:
            return [("train", "1.3", v) for v in compose_variants(shlex.split(args[0]), multirun=False)]
        return []
    script, args = _script_and_args(words)
    path = REPO / script
    assert path.is_file(), f"{command!r}: no {script}"
    main = _hydra_main(path)
    if main is None:  # an argparse script: every --option must be one it declares
        declared = set(re.findall(r"add_argument\(\s*['\"](--[\w-]+)['\"]", path.read_text(encoding="utf-8")))
        for arg in args:
            if arg.startswith("--"):
                assert arg.split("=", 1)[0] in declared, f"{command!r}: {script} has no option {arg}"
        return []
    multirun = any(a in MULTIRUN for a in args)
    flags = [a for a in args if a.startswith("-") and a not in MULTIRUN]
    assert not flags, f"{command!r}: unexpected flags {flags}"
    return [(main[0], main[1], v) for v in compose_variants([a for a in args if a not in MULTIRUN], multirun)]


@functools.cache
def compose(config_name: str, version_base: str | None, overrides: tuple[str, ...]) -> None:
    """Compose as the script would, with Hydra's public compose API; raises if an override names a
    missing key or config option (struct mode), or if the run directory Hydra makes before the job
    starts does not resolve (evaluate.py's once named a training run's ${task.name}). Cached: the
    same command may appear in several docs."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    _setup()
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base=version_base):
        cfg = hydra_compose(config_name, overrides=list(overrides), return_hydra_config=True)
        OmegaConf.select(cfg, "hydra.run.dir", throw_on_resolution_failure=True)


def check_commands(commands: list[str]) -> dict[str, str]:
    """{command: what is wrong} for the commands that do not parse."""
    errors: dict[str, str] = {}
    for command in commands:
        try:
            for name, version, overrides in plan(command):
                compose(name, version, tuple(overrides))
        except Exception as e:  # noqa: BLE001
            errors[command] = f"{type(e).__name__}: {e}"
    return errors


def test_commands_were_found():
    assert len(COMMANDS) >= 20
    assert ["make", "train"] in [_words(c) for c in COMMANDS]
    assert any(c.startswith("torchrun") for c in COMMANDS) and any(c.startswith("accelerate launch") for c in COMMANDS)


def test_commands_parse():
    errors = check_commands([c for c, _ in COMMANDS.items()])
    assert not errors, "commands in the docs that do not parse:\n" + "\n".join(
        f"{COMMANDS[c]}: {c}\n    {e.splitlines()[0]}" for c, e in errors.items())


@pytest.mark.parametrize("command", [
    "python scripts/train.py trainer.learnig_rate=1e-3",  # misspelt TrainingArguments field
    "python scripts/train.py window.max_lenght=64",       # misspelt key
    "python scripts/train.py model=tinyy",                # no such config option
    "python scripts/train.py seed=1,2,3",                 # a sweep without -m
    "python scripts/train.py -m seed=1,2 model=tiny,tinyy",  # a bad option in a sweep
    "python scripts/aggregate.py sweep_dir=x unit=sentence nsamples=10",
    "python scripts/no_such_script.py",
    "python scripts/benchmark_pretraining.py --shape 4x256",
    "make trian",
])
def test_broken_commands_fail(command):
    assert command in check_commands([command])
