"""README.md cannot drift from the program: every code block is checked.

- ```python blocks run, in order, one namespace per README section, with a fresh sandbox folder
  as the working directory. The sandbox holds what the snippets name: ``model.pt`` (the bundled
  hrom-tiny weights), ``clip.mp4`` (the bundled 80-frame clip; its first box is
  312,143,110,102), ``hrnetv2_w18_imagenet_pretrained.pth`` (a state dict with HRNet-w18 names),
  ``data/otb`` (``../shared/data/otb``; a section whose blocks name ``data/otb`` is skipped when
  that folder is absent) and links to the repository's ``src`` and ``configs``.
- ```bash / ```sh blocks: every command line that runs hrom (``hrom ...``, ``.venv/bin/hrom``,
  ``python -m hrom ...``, ``torchrun ... -m hrom ...``) must parse with hrom's own argument parser
  (``[...]`` usage brackets are read as optional parts, i.e. parsed as if given).
- ```yaml blocks must parse; one whose top-level keys are all training-config keys must load as
  a ``TrainConfig``.
- Other blocks (```text, ```ini, plain) are not checked. A non-python block can be left out
  explicitly with ``<!-- readme-test: skip -->`` on the line before its opening fence; python
  blocks cannot.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SHARED = REPO.parent / "shared"
SKIP_MARK = "<!-- readme-test: skip -->"


@dataclass
class Block:
    lang: str
    code: str
    line: int  # 1-based line of the opening fence
    section: str
    skip: bool


def blocks() -> list[Block]:
    out, section = [], "top"
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"<!-- section:(\S+) -->", lines[i])
        if m:
            section = m.group(1)
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if fence:
            start = i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            skip = start > 0 and lines[start - 1].strip() == SKIP_MARK
            out.append(Block(fence.group(1).lower(), "\n".join(body) + "\n", start + 1, section, skip))
        i += 1
    return out


ALL = blocks()
PY_SECTIONS = sorted({b.section for b in ALL if b.lang == "python"}, key=[b.section for b in ALL].index)


def test_readme_has_blocks_and_python_blocks_are_never_skipped():
    assert ALL and PY_SECTIONS
    marked = [b.line for b in ALL if b.lang == "python" and b.skip]
    assert not marked, f"README.md lines {marked}: python blocks must run; make them runnable instead"


# -- python ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """Files shared (read-only) by every sandbox."""
    from hrom.models.checkpoint import bundled_checkpoint

    root = tmp_path_factory.mktemp("readme-files")
    bundled = bundled_checkpoint()
    if bundled is None:
        pytest.skip("no bundled weights in this checkout (the README snippets track with them)")
    shutil.copy(bundled, root / "model.pt")
    shutil.copy(REPO / "src" / "hrom" / "assets" / "demo" / "bag_clip.avi", root / "clip.mp4")
    import torch

    from hrom.models import build_model

    torch.save(build_model("hrom-w18").backbone.state_dict(), root / "hrnetv2_w18_imagenet_pretrained.pth")
    return root


def _sandbox(prepared: Path, tmp_path: Path) -> Path:
    box = tmp_path / "sandbox"
    box.mkdir()
    for f in prepared.iterdir():
        os.symlink(f, box / f.name)  # save_checkpoint("model.pt") replaces the link, not the file
    for name in ("src", "configs"):
        os.symlink(REPO / name, box / name)
    if (SHARED / "data" / "otb").is_dir():
        (box / "data").mkdir()
        os.symlink(SHARED / "data" / "otb", box / "data" / "otb")
    return box


@pytest.mark.parametrize("section", PY_SECTIONS)
def test_python_blocks_run(section, prepared, tmp_path, monkeypatch):
    code = [b for b in ALL if b.lang == "python" and b.section == section]
    if any("data/otb" in b.code for b in code) and not (SHARED / "data" / "otb").is_dir():
        pytest.skip(f"README section {section} uses data/otb: needs {SHARED}/data/otb (absent on this machine)")
    monkeypatch.chdir(_sandbox(prepared, tmp_path))
    namespace: dict = {"__name__": f"readme_{section}"}
    for b in code:
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(b.code, f"README.md:{b.line}", "exec"), namespace)
            except Exception as exc:
                pytest.fail(f"README.md line {b.line} ({section}): {type(exc).__name__}: {exc}")


# -- shell -------------------------------------------------------------------------------------

def _commands(code: str) -> list[tuple[int, str]]:
    """(line offset, command) with backslash continuations joined."""
    out, buf, first = [], "", 0
    for k, line in enumerate(code.splitlines()):
        if not buf:
            first = k
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        out.append((first, buf + line))
        buf = ""
    return out


def _hrom_argv(command: str) -> list[str] | None:
    """The arguments after ``hrom`` when the command runs hrom, else None."""
    tokens = shlex.split(command, comments=True)
    # a redirection or a trailing `&` ends the command; `VAR=value` and `nohup` in front start it
    end = next((i for i, t in enumerate(tokens) if t == "&" or re.match(r"^\d*>", t)), len(tokens))
    tokens = tokens[:end]
    first = next((i for i, t in enumerate(tokens) if not re.match(r"^\w+=", t) and t != "nohup"), len(tokens))
    for i, tok in enumerate(tokens):
        if tok in ("&&", "||", ";", "|"):
            return None  # compound lines run other tools first (venv, pip)
        if i == first and (tok == "hrom" or tok.endswith("/bin/hrom")):
            return tokens[i + 1:]
        if tok == "-m" and i + 1 < len(tokens) and tokens[i + 1] == "hrom":
            return tokens[i + 2:]
    return None


def _unbracket(argv: list[str]) -> list[str]:
    """Usage notation ``[--workers 2]`` read as the option given."""
    return [t.strip("[]") for t in argv if t.strip("[]")]


SHELL = [b for b in ALL if b.lang in ("bash", "sh", "shell", "console") and not b.skip]


@pytest.mark.parametrize("block", SHELL, ids=[f"line{b.line}" for b in SHELL])
def test_shell_blocks_name_valid_hrom_commands(block):
    from hrom.cli.main import build_parser

    parser = build_parser()
    for offset, command in _commands(block.code):
        argv = _hrom_argv(command)
        if not argv:
            continue
        argv = _unbracket(argv)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                parser.parse_args(argv)
            except SystemExit as exc:
                if exc.code not in (0, None):  # --help / --version exit 0
                    pytest.fail(f"README.md line {block.line + 1 + offset}: `{command.strip()}` is refused by hrom's "
                                f"parser: {err.getvalue().strip().splitlines()[-1]}")


# -- yaml --------------------------------------------------------------------------------------

YAML = [b for b in ALL if b.lang in ("yaml", "yml") and not b.skip]


@pytest.mark.parametrize("block", YAML, ids=[f"line{b.line}" for b in YAML])
def test_yaml_blocks_parse_and_training_configs_load(block):
    import dataclasses

    from hrom.config import from_dict, to_dict
    from hrom.training.config import TrainConfig

    data = yaml.safe_load(block.code)
    assert isinstance(data, dict), f"README.md line {block.line}: expected a YAML mapping"
    keys = {f.name for f in dataclasses.fields(TrainConfig)}
    if set(data) <= keys:
        from hrom.config import _merge

        from_dict(TrainConfig, _merge(to_dict(TrainConfig()), data))
