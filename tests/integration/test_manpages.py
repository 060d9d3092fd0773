"""Every console script has a man page that groff formats without warnings.

Reads pyproject.toml and the pages under man/man1; runs groff when it is
installed (the groff checks are skipped, not failed, without it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
MAN1 = ROOT / "man" / "man1"

# The commands this checkout promises pages for, whether or not their
# console scripts exist yet (DESIGN.md section 6: "all with man pages").
CORE_COMMANDS = ("sess", "disconnect", "reconnect", "sessname", "sesslist", "sesskill")

REQUIRED_SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "EXAMPLES")


def console_scripts() -> list[str]:
    """Names in pyproject.toml's [project.scripts], sorted."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        data = tomllib.load(f)
    scripts = data.get("project", {}).get("scripts", {})
    assert isinstance(scripts, dict)
    return sorted(str(name) for name in scripts)


def commands() -> list[str]:
    return sorted(set(console_scripts()) | set(CORE_COMMANDS))


def page(name: str) -> Path:
    return MAN1 / f"{name}.1"


def section_headings(text: str) -> list[str]:
    """The .SH headings of a man(7) source, unquoted, in order."""
    headings = []
    for line in text.splitlines():
        m = re.match(r"\.SH\s+(.*)$", line)
        if m:
            headings.append(m.group(1).strip().strip('"'))
    return headings


def test_pyproject_has_scripts() -> None:
    # Guards the parametrisation: an empty list would make the tests vacuous.
    assert console_scripts(), "no [project.scripts] in pyproject.toml"


@pytest.mark.parametrize("name", commands())
def test_page_exists(name: str) -> None:
    assert page(name).is_file(), f"missing man page {page(name).relative_to(ROOT)}"


@pytest.mark.parametrize("name", commands())
def test_page_sections(name: str) -> None:
    path = page(name)
    if not path.is_file():
        pytest.fail(f"missing man page {path.relative_to(ROOT)}")
    text = path.read_text(encoding="utf-8")
    th = re.search(r"^\.TH\s+(\S+)\s+1\b", text, re.MULTILINE)
    assert th is not None, f"{path.name}: no .TH line for section 1"
    assert th.group(1).strip('"').lower() == name, f"{path.name}: .TH names {th.group(1)}"
    headings = section_headings(text)
    for section in REQUIRED_SECTIONS:
        assert section in headings, f"{path.name}: no {section} section"
    order = [headings.index(s) for s in REQUIRED_SECTIONS]
    assert order == sorted(order), f"{path.name}: sections out of order: {headings}"
    name_line = text.split(".SH NAME", 1)[1].strip().splitlines()[0]
    assert name_line.startswith(f"{name} \\- "), f"{path.name}: NAME line is {name_line!r}"


@pytest.mark.parametrize("name", commands())
def test_see_also_names_the_other_core_pages(name: str) -> None:
    if name not in CORE_COMMANDS:
        pytest.skip("only the pty 4.0 core pages refer to each other")
    text = page(name).read_text(encoding="utf-8")
    see_also = text.split(".SH SEE ALSO", 1)
    assert len(see_also) == 2, f"{name}.1: no SEE ALSO section"
    for other in CORE_COMMANDS:
        if other != name:
            assert f".BR {other} (1)" in see_also[1], f"{name}.1: SEE ALSO lacks {other}(1)"


@pytest.mark.parametrize("name", commands())
def test_groff_has_no_warnings(name: str) -> None:
    groff = shutil.which("groff")
    if groff is None:
        pytest.skip("groff is not installed")
    path = page(name)
    if not path.is_file():
        pytest.fail(f"missing man page {path.relative_to(ROOT)}")
    result = subprocess.run(
        [groff, "-man", "-ww", "-z", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"groff exited {result.returncode}: {result.stderr}"
    assert result.stdout == "", result.stdout
    assert result.stderr == "", f"groff warnings for {path.name}:\n{result.stderr}"
