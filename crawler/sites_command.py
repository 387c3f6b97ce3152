"""``newsarchive sites``: the site profiles, as `scrapy crawl NAME` knows them."""

from __future__ import annotations

from typing import Any

import click

from crawler.profile import SiteProfile


def profiles() -> list[SiteProfile]:
    """Every spider's profile, from the project's spider modules (the news spider has none)."""
    import os

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    # Outside the project folder there is no scrapy.cfg to point at the settings.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    loader = SpiderLoader.from_settings(get_project_settings())
    found = []
    for name in sorted(loader.list()):
        profile = getattr(loader.load(name), "profile", None)
        if isinstance(profile, SiteProfile):
            found.append(profile)
    return found


def describe(profile: SiteProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "title": profile.title,
        "domains": list(profile.domains),
        "entry_points": [{"url": e.url, "kind": e.kind} for e in profile.entry_points],
        "schedule": profile.schedule,
        "crawl": f"scrapy crawl {profile.name}",
        "notes": profile.notes,
    }


@click.command("sites")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True
)
def sites_command(fmt: str) -> None:
    """The site profiles: name, domains, entry points, schedule.

    \b
    Example:
        newsarchive sites --format table
        scrapy crawl netease -a mirror=http://127.0.0.1:8765   # a profile, on a local mirror
    """
    from crawler.cli import emit_json, emit_table

    rows = [describe(p) for p in profiles()]
    if fmt == "json":
        emit_json(rows)
        return
    table = [
        {**row, "domains": " ".join(row["domains"]), "entries": len(row["entry_points"])}
        for row in rows
    ]
    emit_table(
        table, [("name", 10), ("domains", 24), ("entries", 7), ("schedule", 14), ("title", 50)]
    )
