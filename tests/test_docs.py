"""Docs as tests: README.md names every command, spider and custom setting."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from scrapy.settings import default_settings

import crawler.settings
from crawler.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "newsarchive") -> list[str]:
    found = []
    for name, command in group.commands.items():
        found.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            found.extend(commands(command, f"{prefix} {name}"))
    return found


@pytest.mark.parametrize("command", commands(cli))
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert command in README, f"README.md does not show `{command}`"


CUSTOM_SETTINGS = [
    name
    for name in vars(crawler.settings)
    if name.isupper() and not hasattr(default_settings, name)
]


@pytest.mark.parametrize("setting", CUSTOM_SETTINGS)
def test_every_custom_setting_is_in_the_readme(setting: str) -> None:
    assert f"`{setting}`" in README, f"README.md does not document the setting {setting}"


def test_the_readme_opens_with_the_two_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head
