"""``docs/testing.md`` runs: its commands, its quoted files, its example tests, its CI setup.

The document's fenced blocks are of four kinds (any other block is an error):

* ```` ```sh ```` -- commands. Each line starting with ``warrantykit`` is run
  and must exit 0, or the code of a trailing ``# exit N`` comment. ``cd DIR``
  changes the folder of the commands after it, in this block and the next
  ones, as in one shell session that starts at the repository root.
* ```` ```console ```` -- ``$ command`` lines, each followed by its output.
  ``warrantykit`` and ``pytest`` commands are run (pytest as
  ``python -m pytest ... -p no:cacheprovider``); stdout and stderr, in the
  order written, must equal the block's lines, run times (``1.9s``) aside.
* ```` ```LANG file=PATH ```` -- the whole file ``PATH`` (from the repository
  root), byte for byte.
* ```` ```LANG excerpt=PATH ```` -- consecutive whole lines of ``PATH``.

Besides, the example property tests run under pytest (the document's own CI
``pytest`` command, with ``HYPOTHESIS_PROFILE=ci``), and the commands of the
example pre-commit configuration and GitHub Actions workflow must be the
document's CI commands.

After a deliberate change of output, ``python tests/test_docs_testing.py --update``
rewrites the console blocks with the real output; review the diff.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
EXAMPLE = ROOT / "examples" / "testing"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "policies.yml"
PRE_COMMIT = EXAMPLE / ".pre-commit-config.yaml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PROPERTY_MODULE = EXAMPLE / "tests" / "test_pump_service_properties.py"
CI_HEADING = "## 6. CI"
SCRATCH = Path(tempfile.gettempdir()) / "warrantykit-docs-testing"

# ---------------------------------------------------------------- reading the document


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    info: str
    body: str
    section: str  # the last "## " heading above the block

    @property
    def lang(self) -> str:
        return self.info.split()[0] if self.info else ""

    @property
    def attrs(self) -> dict[str, str]:
        return dict(word.split("=", 1) for word in self.info.split()[1:] if "=" in word)

    @property
    def kind(self) -> str:
        if "file" in self.attrs:
            return "file"
        if "excerpt" in self.attrs:
            return "excerpt"
        if self.info in ("sh", "console"):
            return self.info
        return "unknown"


def read_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line
        if line.startswith("```"):
            start = i
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise AssertionError(f"docs/testing.md:{start + 1}: unclosed code fence")
            blocks.append(Block(start + 1, line[3:].strip(), "\n".join(body) + "\n", section))
        i += 1
    return blocks


TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = read_blocks(TEXT)


# ---------------------------------------------------------------- the commands


@dataclass(frozen=True)
class Command:
    doc_line: int
    text: str  # as written, without the "$ " and the comment
    args: tuple[str, ...]
    cwd: Path
    exit_code: int
    output: tuple[str, ...] | None  # expected output lines (console blocks only)

    @property
    def name(self) -> str:
        return f"L{self.doc_line}-{' '.join(self.args[:2])}"


_EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def _parse(line: str) -> tuple[tuple[str, ...], int]:
    args = tuple(shlex.split(line, comments=True))
    assert not {">", ">>", "|", "&&", ";"} & set(args), f"not a simple command: {line!r}"
    match = _EXIT.search(line)
    return args, int(match.group(1)) if match else 0


def _text(args: tuple[str, ...]) -> str:
    return shlex.join(args)


def read_commands(blocks: list[Block]) -> tuple[list[Command], list[tuple[int, Path, tuple[str, ...]]]]:
    """The commands to run, and the sh lines that are not run (``pytest``...) with their folder."""
    cwd = ROOT
    commands: list[Command] = []
    others: list[tuple[int, Path, tuple[str, ...]]] = []
    for block in blocks:
        lines = block.body.splitlines()
        if block.kind == "sh":
            for offset, line in enumerate(lines, start=1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                args, code = _parse(line)
                where = block.line + offset
                if args[0] == "cd":
                    cwd = (cwd / args[1]).resolve()
                    assert cwd.is_dir(), f"docs/testing.md:{where}: no folder {cwd}"
                elif args[0] == "warrantykit":
                    commands.append(Command(where, _text(args), args, cwd, code, None))
                else:
                    others.append((where, cwd, args))
        elif block.kind == "console":
            i = 0
            while i < len(lines):
                line = lines[i]
                assert line.startswith("$ "), (
                    f"docs/testing.md:{block.line + i + 1}: a console block starts each command with '$ '"
                )
                args, code = _parse(line[2:])
                assert args[0] in ("warrantykit", "pytest"), f"cannot run {args[0]!r}"
                start = i
                i += 1
                out: list[str] = []
                while i < len(lines) and not lines[i].startswith("$ "):
                    out.append(lines[i])
                    i += 1
                commands.append(Command(block.line + start + 1, _text(args), args, cwd, code, tuple(out)))
    return commands, others


COMMANDS, OTHER_LINES = read_commands(BLOCKS)


def _warrantykit() -> list[str]:
    exe = Path(sys.executable).parent / "warrantykit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "warrantykit.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    for name in ("PY_COLORS", "CI", "BUILD_NUMBER"):  # pytest's output changes under CI
        env.pop(name, None)
    env.update(PYTHONUNBUFFERED="1", COLUMNS="80", NO_COLOR="1", **extra)
    # compiled modules and Hypothesis' files are kept outside the source tree (and
    # the compiled modules reused by the next run)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(SCRATCH / "pycache")
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(SCRATCH / "hypothesis")
    return env


def argv(args: tuple[str, ...]) -> list[str]:
    if args[0] == "warrantykit":
        return [*_warrantykit(), *args[1:]]
    if args[0] == "pytest":
        return [sys.executable, "-m", "pytest", *args[1:], "-p", "no:cacheprovider"]
    raise AssertionError(f"cannot run {args[0]!r}")


@dataclass(frozen=True)
class Ran:
    code: int
    output: str


def run(args: tuple[str, ...], cwd: Path, **env: str) -> Ran:
    proc = subprocess.run(
        argv(args),
        cwd=cwd,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    return Ran(proc.returncode, proc.stdout)


_TIME = re.compile(r"\b\d+(?:\.\d+)?s\b")


def normalize(lines: Iterator[str] | list[str] | tuple[str, ...]) -> list[str]:
    out = [_TIME.sub("<T>s", line.rstrip()) for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


# ---------------------------------------------------------------- the CI commands

CI_BLOCKS = [b for b in BLOCKS if b.kind == "sh" and b.section.startswith(CI_HEADING)]
CI_COMMANDS: list[tuple[str, ...]] = [
    tuple(shlex.split(line, comments=True))
    for line in (CI_BLOCKS[0].body.splitlines() if CI_BLOCKS else [])
    if line.strip()
]
CI_PYTEST = next((c for c in CI_COMMANDS if c[0] == "pytest"), None)


# ---------------------------------------------------------------- running everything once


@pytest.fixture(scope="module")
def results() -> dict[str, Ran]:
    """Every document command (a command written twice runs once), and the example's
    pytest run, concurrently; by command name."""
    Job = tuple[tuple[str, ...], Path, tuple[tuple[str, str], ...]]
    assert CI_PYTEST is not None
    example: Job = (CI_PYTEST, EXAMPLE, (("HYPOTHESIS_PROFILE", "ci"),))
    jobs: dict[str, Job] = {c.name: (c.args, c.cwd, ()) for c in COMMANDS}
    jobs["example-pytest"] = example
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        # the slowest first, so that the short ones fill the gaps
        unique = sorted(set(jobs.values()), key=lambda job: job != example)
        futures = {job: pool.submit(run, job[0], job[1], **dict(job[2])) for job in unique}
        return {name: futures[job].result() for name, job in jobs.items()}


# ---------------------------------------------------------------- (a) the commands


def test_document_has_blocks_of_each_kind() -> None:
    kinds = {b.kind for b in BLOCKS}
    assert {"sh", "console", "file", "excerpt"} <= kinds
    assert len([c for c in COMMANDS if c.output is not None]) >= 8
    assert len(COMMANDS) == len({c.name for c in COMMANDS}), "two commands on one line?"


def test_every_block_is_of_a_known_kind() -> None:
    wrong = [f"line {b.line}: ```{b.info}" for b in BLOCKS if b.kind == "unknown"]
    assert not wrong, "use ```sh, ```console, ```LANG file=PATH or ```LANG excerpt=PATH: " + ", ".join(wrong)


def test_every_sh_line_is_run_or_checked_elsewhere() -> None:
    """Only the CI ``pytest`` line is not a warrantykit command; (c) runs it."""
    assert [args for _, _, args in OTHER_LINES] == [CI_PYTEST]
    assert OTHER_LINES[0][1] == EXAMPLE


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_command_runs(command: Command, results: dict[str, Ran]) -> None:
    ran = results[command.name]
    assert ran.code == command.exit_code, (
        f"docs/testing.md:{command.doc_line}: `{command.text}` (in {command.cwd.relative_to(ROOT)}) "
        f"exited {ran.code}, the document says {command.exit_code}:\n{ran.output}"
    )
    if command.output is not None:
        expected, actual = normalize(command.output), normalize(ran.output.splitlines())
        assert actual == expected, (
            f"docs/testing.md:{command.doc_line}: the output of `{command.text}` differs from the "
            f"document (run `python tests/test_docs_testing.py --update` after a deliberate change)"
        )


def test_commands_exist_with_their_options() -> None:
    """Every sub-command and --option the document's commands use is in that command's --help."""
    from warrantykit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    choices: dict[str, Any] = dict(sub.choices or {})
    for c in COMMANDS:
        if c.args[0] != "warrantykit":
            continue
        assert c.args[1] in choices, f"docs/testing.md:{c.doc_line}: no command {c.args[1]!r}"
        known = {s for a in choices[c.args[1]]._actions for s in a.option_strings}
        for word in c.args[2:]:
            if word.startswith("-"):
                assert word in known, f"docs/testing.md:{c.doc_line}: {c.args[1]} has no option {word}"


# ---------------------------------------------------------------- (b) the quoted files

FILE_BLOCKS = [b for b in BLOCKS if b.kind == "file"]
EXCERPT_BLOCKS = [b for b in BLOCKS if b.kind == "excerpt"]


@pytest.mark.parametrize("block", FILE_BLOCKS, ids=lambda b: f"L{b.line}-{b.attrs['file']}")
def test_file_quote_is_the_file(block: Block) -> None:
    path = ROOT / block.attrs["file"]
    assert path.is_file(), f"docs/testing.md:{block.line}: {block.attrs['file']} does not exist"
    assert path.read_bytes() == block.body.encode("utf-8"), (
        f"docs/testing.md:{block.line}: the block differs from {block.attrs['file']}; copy the file in"
    )


@pytest.mark.parametrize("block", EXCERPT_BLOCKS, ids=lambda b: f"L{b.line}-{b.attrs['excerpt']}")
def test_excerpt_is_part_of_the_file(block: Block) -> None:
    path = ROOT / block.attrs["excerpt"]
    assert path.is_file(), f"docs/testing.md:{block.line}: {block.attrs['excerpt']} does not exist"
    assert "\n" + block.body in "\n" + path.read_text(encoding="utf-8"), (
        f"docs/testing.md:{block.line}: not consecutive whole lines of {block.attrs['excerpt']}"
    )


def test_every_example_file_is_quoted() -> None:
    quoted = {b.attrs.get("file") or b.attrs.get("excerpt") for b in FILE_BLOCKS + EXCERPT_BLOCKS}
    files = {
        str(p.relative_to(ROOT))
        for p in EXAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".hypothesis" not in p.parts
    }
    assert files - quoted <= {
        "examples/testing/failing/pump-service-draft.yaml",
        "examples/testing/failing/pump-service-draft.cases.yaml",
    }, f"example files the document does not quote: {sorted(files - quoted)}"


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_inside_the_document_resolve() -> None:
    outside = re.sub(r"^```.*?^```$", "", TEXT, flags=re.S | re.M)
    anchors = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", outside, re.M)}
    for target in re.findall(r"\]\(#([^)]+)\)", TEXT):
        assert target in anchors, f"docs/testing.md links to #{target}, which is no heading"
    for target in re.findall(r"\]\(([\w.-]+\.md)(?:#[^)]*)?\)", TEXT):
        assert (DOC.parent / target).is_file(), f"docs/testing.md links to {target}, which does not exist"


def test_paths_named_in_the_document_exist() -> None:
    for path in re.findall(r"`(examples/testing/[^`\s]*)`", TEXT):
        assert (ROOT / path).exists(), f"docs/testing.md names {path}, which does not exist"


# ---------------------------------------------------------------- (c) the example tests


def test_example_tests_pass(results: dict[str, Ran]) -> None:
    """The CI ``pytest`` command, in the example repository under the ``ci`` profile: the
    case files (through the plugin) and the property test module all pass."""
    ran = results["example-pytest"]
    assert ran.code == 0, ran.output
    passed = re.search(r"(\d+) passed", ran.output)
    assert passed, ran.output
    tests = len(re.findall(r"^def test_", PROPERTY_MODULE.read_text(encoding="utf-8"), re.M))
    cases = (EXAMPLE / "policies" / "pump-service.cases.yaml").read_text(encoding="utf-8").count("\n  - name: ")
    assert tests >= 5 and cases >= 10
    assert int(passed.group(1)) == tests + cases, ran.output
    assert not re.search(r"\d+ (failed|error|xfailed|xpassed|skipped)", ran.output), ran.output


# ---------------------------------------------------------------- (d) the CI configuration


def _shell_lines(run_text: str) -> list[tuple[str, ...]]:
    return [tuple(shlex.split(line, comments=True)) for line in run_text.splitlines() if line.strip()]


def _is_install(args: tuple[str, ...]) -> bool:
    return args[:1] in (("pip",), ("pip3",)) or args[:3] == ("python", "-m", "pip")


def test_ci_commands_are_the_expected_four() -> None:
    assert CI_COMMANDS == [
        ("warrantykit", "check", "--strict", "policies/"),
        ("warrantykit", "fmt", "--check", "policies/"),
        ("warrantykit", "test", "policies/", "--min-coverage", "100"),
        ("pytest",),
    ]
    # they ran (a) in the example repository, which is where the workflow runs them
    ran = {(c.args, c.cwd) for c in COMMANDS}
    for args in CI_COMMANDS[:3]:
        assert (args, EXAMPLE) in ran


def test_workflow_runs_the_ci_commands() -> None:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    commands: list[tuple[str, ...]] = []
    profile: set[str] = set()
    for job in data["jobs"].values():
        profile.add(str((job.get("env") or {}).get("HYPOTHESIS_PROFILE")))
        for step in job["steps"]:
            if "run" in step:
                commands.extend(args for args in _shell_lines(step["run"]) if not _is_install(args))
    assert commands == CI_COMMANDS
    assert profile == {"ci"}


def test_pre_commit_runs_the_fast_ci_commands() -> None:
    config = yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))
    shipped = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    commands: list[tuple[str, ...]] = []
    for repo in config["repos"]:
        for hook in repo["hooks"]:
            if repo["repo"] == "local":
                entry = hook["entry"]
                assert hook["language"] == "system"
            else:
                assert hook["id"] in shipped, f"warrantykit ships no hook {hook['id']!r}"
                entry = shipped[hook["id"]]["entry"]
            assert hook.get("pass_filenames") is False, "the hooks check the whole folder"
            commands.append((*shlex.split(entry), *hook.get("args", [])))
    assert commands == [c for c in CI_COMMANDS if c[0] == "warrantykit"]


def test_readme_links_the_document() -> None:
    assert "(docs/testing.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- updating the outputs


def update() -> None:
    """Rewrite every console block of the document with the real output of its commands."""
    lines = TEXT.splitlines()
    by_line = {c.doc_line: c for c in COMMANDS if c.output is not None}
    out: list[str] = []
    i = 0
    while i < len(lines):
        command = by_line.get(i + 1)
        if command is None:
            out.append(lines[i])
            i += 1
            continue
        out.append(lines[i])
        ran = run(command.args, command.cwd)
        out.extend(line.rstrip() for line in ran.output.rstrip("\n").splitlines())
        i += 1 + len(command.output or ())
    DOC.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_docs_testing.py --update")
    update()
