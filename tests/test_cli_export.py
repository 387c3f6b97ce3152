"""``newsarchive export``: JSON Lines, CSV and WARC from a real archive, streamed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import insert
from warcio.archiveiterator import ArchiveIterator

from storage.database import open_archive
from storage.export import Selection, records, write_jsonl
from storage.models import Article
from storage.queries import Filters
from tests.test_cli import one_line_error, run, run_all
from tests.test_cli_more import EN_URL, NEW, ZH_URL, Built, build_archive

WARCIO = Path(sys.executable).with_name("warcio")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    directory = tmp_path_factory.mktemp("export")
    return build_archive(f"sqlite:///{directory / 'archive.db'}", directory / "archive-warc")


def test_jsonl_and_csv(built: Built, tmp_path: Path) -> None:
    db = ["--db", built.url]
    everything, chinese, matching, as_csv, bad_query, bad_site = run_all(
        [
            ["export", *db],
            ["export", "--lang", "zh", *db],
            ["export", "--query", "schools", "--since", "2025-01-01", *db],
            ["export", "--format", "csv", "-o", str(tmp_path / "out.csv"), *db],
            ["export", "--query", '"open', *db],
            ["export", "--site", "nosuch", *db],
        ],
        tmp_path,
    )
    assert everything.stderr == ""  # piped: no progress bar
    rows = [json.loads(line) for line in everything.stdout.splitlines()]
    assert [(r["id"], r["url"]) for r in rows] == [(built.zh, ZH_URL), (built.en, EN_URL)]
    assert rows[0]["text"] == NEW and rows[0]["versions"] == 2
    assert rows[0]["authors"] == ["王小明"] and rows[0]["urls"] == [ZH_URL]
    assert [json.loads(line)["id"] for line in chinese.stdout.splitlines()] == [built.zh]
    assert [json.loads(line)["id"] for line in matching.stdout.splitlines()] == [built.en]
    assert as_csv.stdout == ""
    table = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert [row["url"] for row in table] == [ZH_URL, EN_URL]
    assert table[0]["authors"] == '["王小明"]' and table[0]["text"] == NEW
    assert one_line_error(bad_query, 1) == "Error: bad query: unbalanced quote in the query"
    assert "unknown site 'nosuch'" in one_line_error(bad_site, 1)


def test_warc_is_valid_and_holds_the_captures(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "qilu.warc.gz"
    result = run(
        "export",
        "--format",
        "warc",
        "--site",
        "qilu",
        "-o",
        str(out),
        "--db",
        built.url,
        cwd=tmp_path,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    check = subprocess.run(
        [str(WARCIO), "check", "-v", str(out)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with out.open("rb") as handle:
        found = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(handle)
        ]
    assert found[0][0] == "warcinfo"
    # The three captures of the Chinese article; the third (a revisit) as the response it repeats.
    assert [(kind, url) for kind, url, _ in found[1:]] == [("response", ZH_URL)] * 3
    bodies = [body.decode() for _, _, body in found[1:]]
    assert "38所学校" in bodies[0] and bodies[1] == bodies[2] and "41所学校" in bodies[2]


def test_export_streams_in_constant_memory(tmp_path: Path) -> None:
    """Peak memory of an export does not grow with the number of articles."""
    archive = open_archive(f"sqlite:///{tmp_path / 'big.db'}", warc_dir=tmp_path / "warc")
    with archive.transaction() as session:
        from storage.archive import ensure_site

        site = ensure_site(session, "big")
        session.execute(
            insert(Article),
            [
                {"site_id": site, "canonical_url": f"https://big.example/{i}", "title": f"t{i}",
                 "text": "正文" * 200, "content_hash": str(i), "extractor_version": "test"}
                for i in range(6000)
            ],
        )  # fmt: skip

    def peak(limit: int) -> int:
        with archive.session() as session:
            selection = Selection(Filters(until=None))
            rows = (row for n, row in enumerate(records(session, selection)) if n < limit)
            tracemalloc.start()
            written = write_jsonl(rows, _Sink(), lambda _n: None)
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert written == limit
        return top

    small, large = peak(1000), peak(6000)
    archive.close()
    assert large < small * 1.5, (small, large)


class _Sink(io.StringIO):
    """Output that keeps nothing."""

    def write(self, value: str) -> int:
        return len(value)


@pytest.mark.postgres
def test_export_and_raw_captures_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """The same exports and raw captures from a PostgreSQL archive."""
    built = build_archive(postgres_url, tmp_path / "archive-warc")
    out = tmp_path / "all.warc.gz"
    db = ["--db", postgres_url, "--warc-dir", str(tmp_path / "archive-warc")]
    jsonl, warc, raw = run_all(
        [
            ["export", "--lang", "zh", "--db", postgres_url],
            ["export", "--format", "warc", "-o", str(out), *db],
            ["show", str(built.zh), "--raw", *db],
        ],
        tmp_path,
    )
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [(r["id"], r["text"], r["versions"]) for r in rows] == [(built.zh, NEW, 2)]
    assert (warc.returncode, warc.stderr) == (0, ""), warc.stderr
    with out.open("rb") as handle:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(handle)]
    assert uris[1:] == [ZH_URL] * 3 + [EN_URL]
    assert raw.returncode == 0, raw.stderr
    assert "41所学校" in raw.stdout
