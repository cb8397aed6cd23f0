"""The docs tell the truth: every error code the code can raise is in docs/API.md, every CLI
command in the README."""
from __future__ import annotations

import re
from pathlib import Path

from sync_server.cli import parser

ROOT = Path(__file__).resolve().parents[2]
RAISED = re.compile(r'(?:ContractError|BadRequest|Unauthorized|Forbidden|NotFound|Conflict|TooLarge|'
                    r'Unsupported|ApiError|DrawError|SamplingError|NoticeError)\(\s*"([a-z0-9_]+\.[a-z0-9_.]+)"'
                    r'|_state\(task, "[a-z]+", "([a-z0-9_]+\.[a-z0-9_.]+)"'
                    r'|\(\s*"(draw\.[a-z0-9_]+)"')
LITERAL = re.compile(r'"code": "([a-z0-9_]+\.[a-z0-9_.]+)"')


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for package in ("schemas", "sync_server", "field_app"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= {code for group in RAISED.findall(text) for code in group if code}
            found |= set(LITERAL.findall(text))
    return found


def test_every_error_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", (ROOT / "docs" / "API.md").read_text(encoding="utf-8"), re.M))
    missing = codes_in_source() - documented
    assert len(codes_in_source()) > 30
    assert not missing, f"undocumented error codes: {sorted(missing)}"


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert commands
    for name in commands:
        assert f"`{name}" in readme, f"README does not document `{name}`"


def test_readme_first_screen_has_the_two_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen
