"""``scrapy crawl``, with the checks a user's mistake deserves before any crawling starts.

A wrong spider argument, an archive that cannot be opened or an unreachable ``REDIS_URL`` is one
clear line on stderr and exit code 1 or 2, instead of a traceback after the crawler has started.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.distributed import redis_problem
from storage.database import ArchiveError, open_archive


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if len(args) == 1 and args[0] in self.crawler_process.spider_loader.list():
            spider_class: Any = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                try:
                    check(**opts.spargs)
                except ValueError as exc:
                    print(f"Error: {exc}", file=sys.stderr)
                    self.exitcode = 2
                    return
        redis_url = self.settings.get("REDIS_URL")
        if redis_url and (problem := redis_problem(redis_url)):
            print(f"Error: {problem}", file=sys.stderr)
            self.exitcode = 1
            return
        if self.settings.getbool("ARCHIVE_ENABLED", True):
            try:
                open_archive(self.settings.get("ARCHIVE_DATABASE_URL")).close()
            except ArchiveError as exc:
                print(f"Error: {exc}", file=sys.stderr)
                self.exitcode = 1
                return
        super().run(args, opts)
