"""`make bench-crawl N=10000`: the whole crawl, measured against what this machine can extract.

1. A local mirror of N article pages, round-robin from a corpus folder (../shared/corpus/dev by
   default, read in place): each page's HTML once in a temp dir, with its own canonical link
   and og:url taken out so that every copy is an article of its own URL; article URLs
   ``/a/00000001.html`` are mapped to a page by number. Around them: a homepage, list pages of
   100 articles with "next" links, robots.txt, a sitemap index and sitemaps of 1,000 URLs.
2. A server in its own process (asyncio, keep-alive, every answer prebuilt in memory), and what
   it sustains alone, measured with a concurrent keep-alive client fetching article pages.
3. The full pipeline: ``scrapy crawl news`` from the homepage into a fresh SQLite archive, with
   the project's settings except politeness (no delay, no AutoThrottle, 16 connections). The
   crawl's process tree (crawler, fork server, extraction workers) is sampled from /proc every
   second for CPU time and memory (PSS, so pages shared by the workers count once).
4. The extraction-only limit: the pool's own work (``pipelines.pool.work``: decode, extract,
   language, near-duplicate keys) over the same pages in the same order, on one worker per core,
   no crawling, no server, no writes; measured just before the crawl and just after it, and
   averaged (a shared machine's speed drifts by several percent over minutes: both figures are
   printed). End to end / this = the ratio.
5. Storage only: articles/s through the crawl's own write path (``storage.writer.BatchWriter``
   running ``pipelines.archive.store_pages``) into a fresh SQLite archive: WARC record, capture,
   article, version, URLs, search index and near-duplicate keys of every page. Three runs, each
   into an archive of its own; the best counts, and all three are printed.

Usage: python tests/benchmarks/bench_crawl.py [--pages N] [--corpus DIR] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DEV = REPO.parent / "shared" / "corpus" / "dev"
PER_LIST = 100
PER_SITEMAP = 1000
# How often the crawl's processes are sampled: memory grows slowly, and reading every
# process's smaps costs CPU that the crawl would otherwise have.
SAMPLE_SECONDS = 1.0
# The storage-only step is run this many times and its best run counts, as ``timeit`` counts
# its best: a slower run measures what else the machine was doing (this step takes seconds,
# and on a shared machine the same run varied by ±8%). Every run is printed.
STORAGE_RUNS = 3
_CANONICAL = re.compile(
    rb"<link[^>]+rel\s*=\s*[\"']?canonical[^>]*>|<meta[^>]+og:url[^>]*>", re.IGNORECASE
)


# ---------------------------------------------------------------------------- the mirror


@dataclass
class Mirror:
    root: Path
    pages: int
    templates: list[Path] = field(default_factory=list)
    charsets: list[str | None] = field(default_factory=list)

    def article_path(self, number: int) -> str:
        return f"/a/{number:08d}.html"

    def template_of(self, number: int) -> int:
        return (number - 1) % len(self.templates)


def build_mirror(corpus: Path, root: Path, pages: int) -> Mirror:
    rows = [json.loads(line) for line in (corpus / "index.jsonl").read_text().splitlines() if line]
    mirror = Mirror(root, pages)
    (root / "pages").mkdir(parents=True)
    for row in rows:
        html = _CANONICAL.sub(b"", (corpus / row["id"] / "page.html").read_bytes())
        path = root / "pages" / f"{row['id']}.html"
        path.write_bytes(html)
        mirror.templates.append(path)
        mirror.charsets.append(row.get("charset"))
    lists = -(-pages // PER_LIST)
    for number in range(1, lists + 1):
        first = (number - 1) * PER_LIST + 1
        links = "".join(
            f'<li><a href="{mirror.article_path(i)}">Article {i}</a></li>'
            for i in range(first, min(pages, first + PER_LIST - 1) + 1)
        )
        following = (
            f'<a rel="next" href="/list/index_{number + 1}.html">next</a>' if number < lists else ""
        )
        name = "index.html" if number == 1 else f"index_{number}.html"
        (root / "list").mkdir(exist_ok=True)
        (root / "list" / name).write_text(
            f"<html><head><title>News, page {number}</title></head><body><ul>{links}</ul>"
            f"{following}</body></html>"
        )
    (root / "index.html").write_text(
        '<html><head><title>Bench news</title></head><body><a href="/list/">News</a></body></html>'
    )
    sitemaps = -(-pages // PER_SITEMAP)
    index = "".join(
        f"<sitemap><loc>BASE/sitemap-{k}.xml</loc></sitemap>" for k in range(1, sitemaps + 1)
    )
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'
    )
    for k in range(1, sitemaps + 1):
        urls = "".join(
            f"<url><loc>BASE{escape(mirror.article_path(i))}</loc></url>"
            for i in range((k - 1) * PER_SITEMAP + 1, min(pages, k * PER_SITEMAP) + 1)
        )
        (root / f"sitemap-{k}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\nSitemap: BASE/sitemap.xml\n")
    (root / "mirror.json").write_text(
        json.dumps({"pages": pages, "charsets": mirror.charsets, "templates": len(rows)})
    )
    return mirror


# ---------------------------------------------------------------------------- the server


class _Site:
    """Every answer as bytes, prebuilt: the article templates and the small files."""

    def __init__(self, root: Path, base: str) -> None:
        meta = json.loads((root / "mirror.json").read_text())
        self.pages = meta["pages"]
        self.articles = []
        templates = sorted((root / "pages").iterdir())
        for number, charset in enumerate(meta["charsets"]):
            body = templates[number].read_bytes()
            kind = f"text/html; charset={charset}" if charset else "text/html"
            self.articles.append(_response(200, kind, body))
        self.files: dict[str, bytes] = {}
        for path in root.rglob("*"):
            if path.is_file() and path.parent.name != "pages" and path.name != "mirror.json":
                data = path.read_bytes().replace(b"BASE", base.encode())
                name = "/" + str(path.relative_to(root))
                kind = "text/plain" if name.endswith(".txt") else "text/html"
                kind = "application/xml" if name.endswith(".xml") else kind
                self.files[name] = _response(200, kind, data)
                if name.endswith("/index.html"):
                    self.files[name.removesuffix("index.html")] = self.files[name]
        self.files["/"] = self.files["/index.html"]
        self.missing = _response(404, "text/plain", b"not found")
        self.article = re.compile(rb"^/a/(\d{8})\.html$")

    def answer(self, path: bytes) -> bytes:
        if match := self.article.match(path):
            number = int(match.group(1))
            if 1 <= number <= self.pages:
                return self.articles[(number - 1) % len(self.articles)]
        return self.files.get(path.decode("latin-1"), self.missing)


def _response(status: int, kind: str, body: bytes) -> bytes:
    reason = "OK" if status == 200 else "Not Found"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _Http(asyncio.Protocol):
    def __init__(self, site: _Site) -> None:
        self.site = site
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            request, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            parts = request.split(b" ", 2)
            path = parts[1].split(b"?")[0] if len(parts) > 1 else b"/"
            self.transport.write(self.site.answer(path))


def serve(root: Path) -> None:
    """Serve the mirror until stdin closes; prints the port first."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        holder: dict[str, _Site] = {}
        server = await loop.create_server(lambda: _Http(holder["site"]), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        holder["site"] = _Site(root, f"http://127.0.0.1:{port}")
        print(port, flush=True)
        await loop.run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(main())


async def _client(base: str, paths: list[str], connections: int) -> float:
    """Seconds to fetch every path over ``connections`` keep-alive connections."""
    host, port = base.removeprefix("http://").split(":")
    queue = list(reversed(paths))

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while queue:
            writer.write(f"GET {queue.pop()} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    return time.perf_counter() - start


# ---------------------------------------------------------------------------- measuring


class TreeSampler:
    """CPU seconds and memory of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.root = pid
        self.cpu: dict[int, float] = {}
        self.peak_pss = 0
        self.peak_rss = 0
        self.peak_processes = 0
        self.tick = os.sysconf("SC_CLK_TCK")

    def _tree(self) -> list[int]:
        """The process and its descendants, from each one's ``children`` lists (cheap: not a
        walk of every process on the machine, which would cost the crawl CPU)."""
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                tasks = list(Path(f"/proc/{pid}/task").iterdir())
            except OSError:
                continue
            for task in tasks:
                try:
                    todo += [int(child) for child in (task / "children").read_text().split()]
                except OSError:
                    continue
        return found

    def sample(self) -> None:
        pss = rss = 0
        pids = self._tree()
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self.tick
            rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            if match := re.search(r"^Pss:\s+(\d+) kB", rollup, re.M):
                pss += int(match.group(1)) * 1024
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_processes = max(self.peak_processes, len(pids))

    @property
    def cpu_total(self) -> float:
        return sum(self.cpu.values())

    @property
    def cpu_crawler(self) -> float:
        return self.cpu.get(self.root, 0.0)


def crawl(
    base: str, work: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], TreeSampler, float]:
    """``scrapy crawl news`` of the mirror into a fresh archive in ``work``."""
    env = {
        **os.environ,
        "ARCHIVE_DATABASE_URL": f"sqlite:///{work / 'archive.db'}",
        "ARCHIVE_WARC_DIR": str(work / "warc"),
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
    }
    command = [
        sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={base}/", "-a", "site=bench",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "LOG_LEVEL=INFO", *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    log = (work / "crawl.log").open("w")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    sampler = TreeSampler(process.pid)
    while process.poll() is None:
        sampler.sample()
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    log.close()
    output = (work / "crawl.log").read_text()
    result = subprocess.CompletedProcess(command, process.returncode, output, "")
    if process.returncode != 0:
        raise SystemExit(f"bench-crawl: the crawl failed:\n{output[-3000:]}")
    return result, sampler, wall


def stat(output: str, name: str) -> float:
    match = re.search(rf"'{re.escape(name)}': ([\d.]+)", output)
    return float(match.group(1)) if match else 0.0


def extraction_limit(mirror: Mirror, base: str, count: int, workers: int) -> tuple[float, float]:
    """Pages/s and CPU ms per page of the pool's work alone, on ``workers`` processes."""
    from pipelines.pool import Job, WorkerPool, work

    bodies = [path.read_bytes() for path in mirror.templates]
    jobs = []
    for number in range(1, count + 1):
        index = mirror.template_of(number)
        charset = mirror.charsets[index]
        kind = f"text/html; charset={charset}" if charset else "text/html"
        jobs.append(Job(f"{base}{mirror.article_path(number)}", bodies[index], kind))

    async def run() -> tuple[float, float]:
        pool = WorkerPool(workers, 2 * workers)
        await pool.start()
        # the workers are the fork server's children, not ours: read their CPU from /proc
        pids = pool.pids
        before = sum(_proc_cpu(pid) for pid in pids)
        start = time.perf_counter()
        await asyncio.gather(*(pool.run(work, job) for job in jobs))
        elapsed = time.perf_counter() - start
        cpu = sum(_proc_cpu(pid) for pid in pids) - before
        pool.close()
        return elapsed, cpu

    elapsed, cpu = asyncio.run(run())
    return count / elapsed, 1000 * cpu / count


def storage_only(mirror: Mirror, work: Path, count: int) -> tuple[list[float], int]:
    """Articles/s through the crawl's own write path into a fresh SQLite archive, in each of
    ``STORAGE_RUNS`` runs (a fresh archive each), and the batches of a run.

    Each article is a page as the extraction stage hands it to the archive stage (its WARC
    record built and gzipped, its text hashed and segmented: the workers' share, done here
    beforehand on every core), with a text of its own (``_distinct``) so that no two are copies
    or near copies, as in a crawl of distinct articles. Timed: the
    batched writer (``storage.writer``) running ``pipelines.archive.store_pages`` in batches of
    ``ARCHIVE_BATCH_SIZE``: WARC records appended, captures, articles, versions, URLs, search
    index, near-duplicate keys and the look-ups for copies, committed.
    """
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace

    from crawler import settings
    from pipelines.archive import store_pages
    from pipelines.page import Page
    from storage.archive import ensure_site
    from storage.database import open_archive
    from storage.writer import BatchWriter

    templates = [
        (path.read_bytes(), charset)
        for path, charset in zip(mirror.templates[:50], mirror.charsets[:50], strict=True)
    ]
    with ProcessPoolExecutor(
        os.cpu_count(), initializer=_templates.extend, initargs=(templates,)
    ) as pool:
        extracted = list(pool.map(_extract, range(len(templates))))
        shares = list(pool.map(_workers_share, range(count), chunksize=200))
    pages = []
    for number, share in enumerate(shares):
        done = extracted[number % len(templates)]
        if share is None or done.processed.extraction is None:
            continue
        body, charset = templates[number % len(templates)]
        url = f"https://bench.example/a/{number:08d}.html"
        page = Page(url, 200, _headers(charset), body, share[0], site="bench")
        page.extraction = replace(done.processed.extraction, text=share[4])
        page.canonical_url, page.language, page.band_keys = (
            url,
            done.processed.language,
            share[5],
        )
        page.warc_record, page.text_hash, page.segmented_text = share[1:4]
        pages.append(page)
    # A crawl holds a batch of pages at a time, not all of them: the pages made beforehand are
    # moved out of the garbage collector's sight, or its full collections would walk them all.
    gc.collect()
    gc.freeze()
    rates, batches = [], 0
    for run in range(STORAGE_RUNS):
        # The files written so far are flushed first: their write-back would otherwise take a
        # core from this step at times, and its result varied by a fifth from run to run.
        os.sync()
        archive = open_archive(
            f"sqlite:///{work / f'storage-{run}.db'}", warc_dir=work / f"storage-warc-{run}"
        )
        with archive.transaction() as session:
            site_id = ensure_site(session, "bench")
        writer = BatchWriter(
            archive,
            batch_size=settings.ARCHIVE_BATCH_SIZE,
            interval=settings.ARCHIVE_BATCH_SECONDS,
            write_items=partial(_store, archive=archive, site_id=site_id, store_pages=store_pages),
        )
        start = time.perf_counter()
        futures = [writer.submit_item(page) for page in pages]
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - start
        writer.close()
        archive.close()
        rates.append(len(pages) / elapsed)
        batches = writer.batches
        for path in work.glob(f"storage-{run}.db*"):
            path.unlink()
        shutil.rmtree(work / f"storage-warc-{run}")
    gc.unfreeze()
    return rates, batches


def _store(session: Any, pages: list[Any], *, archive: Any, site_id: int, store_pages: Any) -> Any:
    return store_pages(session, archive.warc, pages, site_id=lambda _: site_id)


_templates: list[tuple[bytes, str | None]] = []  # in the workers preparing the pages
_EXTRACTED: dict[int, Any] = {}


def _headers(charset: str | None) -> list[tuple[str, str]]:
    return [("Content-Type", f"text/html; charset={charset}" if charset else "text/html")]


def _extract(index: int) -> Any:
    from pipelines.pool import Job, work

    if index not in _EXTRACTED:
        _EXTRACTED[index] = work(Job("https://bench.example/", _templates[index][0]))
    return _EXTRACTED[index]


def _workers_share(number: int) -> Any:
    """What the extraction workers hand the archive stage for article ``number``: the time of
    its fetch, its own WARC record, its text's hash and segmentation, the text and its
    near-duplicate keys."""
    from pipelines.dedup import band_keys
    from storage.archive import content_hash
    from storage.search import segment
    from storage.warc import prepare_response

    done = _extract(number % len(_templates))
    if done.processed.extraction is None:
        return None
    body, charset = _templates[number % len(_templates)]
    url = f"https://bench.example/a/{number:08d}.html"
    now = datetime.now(UTC)
    text = _distinct(done.processed.extraction.text, number)
    record = prepare_response(url, 200, _headers(charset), body, now)
    return now, record, content_hash(text), segment(text), text, band_keys(text)


def _distinct(text: str, number: int) -> str:
    """An article of its own for ``number``: as many paragraphs as ``text`` has, drawn at
    random from the paragraphs of all the templates, so that its words are a news page's but
    it is neither a copy nor a near copy of another article."""
    if not _PARAGRAPHS:
        for index in range(len(_templates)):
            extraction = _extract(index).processed.extraction
            _PARAGRAPHS.extend(extraction.text.split("\n") if extraction else [])
    count = len(text.split("\n"))
    return "\n".join(random.Random(number).choices(_PARAGRAPHS, k=count))


_PARAGRAPHS: list[str] = []


# ---------------------------------------------------------------------------- the report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=DEV)
    parser.add_argument(
        "--extraction-pages", type=int, default=0, help="default: min(N, 4 x corpus)"
    )
    parser.add_argument("--storage-articles", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (archive, log)")
    parser.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE",
        help="a Scrapy setting for the crawl, as `scrapy crawl -s`",
    )  # fmt: skip
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if not (args.corpus / "index.jsonl").is_file():
        print(f"bench-crawl: no corpus at {args.corpus} (expected index.jsonl)")
        return 1
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    load_before = os.getloadavg()
    mirror = build_mirror(args.corpus, work / "mirror", args.pages)
    sizes = [path.stat().st_size for path in mirror.templates]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(mirror.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        sample = [mirror.article_path(i) for i in range(1, min(args.pages, 5000) + 1)]
        server_cpu_before = _proc_cpu(server.pid)
        seconds = asyncio.run(_client(base, sample, 16))
        server_alone = len(sample) / seconds
        server_ms = 1000 * (_proc_cpu(server.pid) - server_cpu_before) / len(sample)

        limit_pages = args.extraction_pages or min(args.pages, 4 * len(mirror.templates))
        before = extraction_limit(mirror, base, limit_pages, cores)
        server_before = _proc_cpu(server.pid)
        settings = [part for item in args.set for part in ("-s", item)]
        output, tree, wall = crawl(base, work, *settings)
        server_during = _proc_cpu(server.pid) - server_before
        output_text = output.stdout
        elapsed = stat(output_text, "elapsed_time_seconds") or wall
        new = int(stat(output_text, "archive/article/new"))
        empty = int(stat(output_text, "extraction/empty"))
        pages = int(stat(output_text, "response_received_count"))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait()
    after = extraction_limit(mirror, base, limit_pages, cores)
    limit, limit_ms = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    storage_rates, batches = storage_only(mirror, work, args.storage_articles)

    end_to_end = args.pages / elapsed
    mib = 1024 * 1024
    print()
    print(f"bench-crawl N={args.pages}: {cores} cores, load average before {load_before[0]:.2f}")
    print(
        f"mirror          {args.pages} article pages round-robin from {len(sizes)} pages of "
        f"{args.corpus} (mean {sum(sizes) / len(sizes) / 1024:.0f} KB), "
        f"{-(-args.pages // PER_LIST)} list pages, {-(-args.pages // PER_SITEMAP)} sitemaps"
    )
    print(
        f"server alone    {server_alone:.0f} pages/s (16 keep-alive connections, "
        f"{len(sample)} article pages, {server_ms:.2f} ms server CPU/page)"
    )
    print(
        f"end to end      {end_to_end:.1f} pages/s: {pages} responses, {new} new articles, "
        f"{empty} without text, in {elapsed:.1f} s (wall {wall:.1f} s with start-up)"
    )
    print(
        f"CPU             {tree.cpu_total:.0f} s in the crawl's processes "
        f"({tree.cpu_total / elapsed:.2f} of {cores} cores; crawler process {tree.cpu_crawler:.0f} s, "
        f"workers {tree.cpu_total - tree.cpu_crawler:.0f} s), server {server_during:.0f} s"
    )
    print(
        f"peak memory     {tree.peak_pss / mib:.0f} MB PSS ({tree.peak_rss / mib:.0f} MB RSS) "
        f"over {tree.peak_processes} processes"
    )
    print(
        f"extraction only {limit:.1f} pages/s: pipelines.pool.work over the first {limit_pages} "
        f"pages on {cores} processes ({limit_ms:.1f} ms CPU/page), no crawling; the mean of "
        f"{before[0]:.1f} before the crawl and {after[0]:.1f} after it"
    )
    print(f"ratio           {end_to_end / limit:.2f} of the extraction-only limit (target 0.85)")
    print(
        f"storage only    {max(storage_rates):.0f} articles/s into SQLite, the best of "
        f"{len(storage_rates)} runs ({', '.join(f'{rate:.0f}' for rate in storage_rates)}): the "
        f"crawl's write path (WARC record, capture, article, version, URLs, search index, keys; "
        f"{args.storage_articles} in {batches} batches each; target 2000)"
    )
    print(f"load average after {os.getloadavg()[0]:.2f}")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
