"""`make demo`: serve the demo site, crawl it with a real `scrapy crawl`, then search the archive.

Each step prints the command a user would type, so the demo doubles as a tour.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from crawler.demo.server import DemoSite

PROJECT = Path(__file__).resolve().parents[2]


def _bin(name: str) -> str:
    """The console script installed beside this Python (the venv's), else on PATH."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def _run(args: list[str], env: dict[str, str]) -> None:
    shown = " ".join(shlex.quote(a) for a in [Path(args[0]).name, *args[1:]])
    print(f"\n$ {shown}", flush=True)
    subprocess.run(args, env=env, check=True)


def run(port: int, archive_dir: Path) -> None:
    archive_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{(archive_dir / 'archive.db').resolve()}"
    env = {
        **os.environ,
        "ARCHIVE_DATABASE_URL": db_url,
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
    }
    cli = _bin("newsarchive")
    # Creates the archive, or brings one made by an older version up to date.
    _run([cli, "db", "upgrade"], env)
    site = DemoSite()
    with site.serve("127.0.0.1", port) as base_url:
        print(f"demo news site on {base_url}/ ({len(site.articles)} articles)")
        # The demo site is on this machine: no need to wait between requests.
        _run(
            [
                _bin("scrapy"),
                "crawl",
                "news",
                "-a",
                f"url={base_url}/",
                "-a",
                "site=demo",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_START_DELAY=0.01",
                "-s",
                "LOG_LEVEL=WARNING",
            ],
            env,
        )
    _run([cli, "stats", "--format", "table"], env)
    _run([cli, "search", "教育", "--format", "table", "--limit", "10"], env)
    _run([cli, "search", "education", "--format", "table", "--limit", "10"], env)
    warc = archive_dir / "archive-warc"
    print(f"\nThe archive is {archive_dir / 'archive.db'}, the raw pages in {warc}/.")
    print(f"Try: ARCHIVE_DATABASE_URL={db_url} newsarchive show 1 --format table")
