"""Raw responses as WARC records, in rotating gzipped files.

Each record is its own gzip member, so a record can be read back from its file, offset and
length alone (the database keeps those three in ``captures``). Every process writes its own
files, so several crawlers can share one directory. A response whose payload is identical to
the last capture of the same URL is written as a ``revisit`` record, as web archives do.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_SIZE = 1_000_000_000
# Headers describing a transfer encoding that is no longer there: Scrapy hands us the decoded
# body, and a WARC reader would try to undo the encoding again.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body`` (``sha1:`` + base32, as warcio writes it)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass(frozen=True)
class WarcLocation:
    filename: str
    offset: int
    length: int
    payload_digest: str
    record_type: str


@dataclass(frozen=True)
class Revisit:
    """The earlier capture that a ``revisit`` record refers to."""

    url: str
    fetched_at: datetime


@dataclass(frozen=True)
class RawResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    record_type: str


def _warc_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_headers(status: int, headers: list[tuple[str, str]], length: int) -> StatusAndHeaders:
    kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
    kept += [(f"X-Archive-Orig-{k}", v) for k, v in headers if k.lower() in _TRANSFER_HEADERS]
    kept.append(("Content-Length", str(length)))
    return StatusAndHeaders(f"{status} {reason_phrase(status)}", kept, protocol="HTTP/1.1")


def reason_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def write_copy(writer: WARCWriter, raw: RawResponse, fetched_at: datetime) -> None:
    """Write an archived response again, as a ``response`` record, to another WARC file."""
    # ``raw.headers`` are as archived: transfer headers already renamed, our Content-Length.
    headers = [(k, v) for k, v in raw.headers if k.lower() != "content-length"]
    record = writer.create_warc_record(
        raw.url,
        "response",
        payload=BytesIO(raw.body),
        length=len(raw.body),
        http_headers=_http_headers(raw.status, headers, len(raw.body)),
        warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
    )
    writer.write_record(record)


class WarcStore:
    """Appends records to ``directory/<prefix>-<time>-<pid>-<n>.warc.gz``, rotating by size."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "newsarchive",
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_file_size = max_file_size
        self._file: BinaryIO | None = None
        self._filename = ""
        self._writer: WARCWriter | None = None
        self._serial = 0
        self._lock = threading.RLock()

    def _open_next(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self._filename = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}.warc.gz"
        self._file = (self.directory / self._filename).open("ab")
        self._writer = WARCWriter(self._file, gzip=True)
        info = self._writer.create_warcinfo_record(
            self._filename, {"software": "newsarchive", "format": "WARC File Format 1.1"}
        )
        self._writer.write_record(info)
        logger.info("writing WARC file %s", self.directory / self._filename)

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        *,
        revisit_of: Revisit | None = None,
    ) -> WarcLocation:
        """Write one response (or a revisit of ``revisit_of``) and return where it is."""
        digest = payload_digest(body)
        with self._lock:
            if self._file is None or self._file.tell() >= self.max_file_size:
                self._open_next()
            assert self._writer is not None and self._file is not None
            warc_headers = {"WARC-Date": _warc_date(fetched_at)}
            if revisit_of is None:
                record = self._writer.create_warc_record(
                    url,
                    "response",
                    payload=BytesIO(body),
                    length=len(body),
                    http_headers=_http_headers(status, headers, len(body)),
                    warc_headers_dict=warc_headers,
                )
            else:
                record = self._writer.create_revisit_record(
                    url,
                    digest=digest,
                    refers_to_uri=revisit_of.url,
                    refers_to_date=_warc_date(revisit_of.fetched_at),
                    http_headers=_http_headers(status, headers, len(body)),
                    warc_headers_dict=warc_headers,
                )
            offset = self._file.tell()
            self._writer.write_record(record)
            self._file.flush()
            length = self._file.tell() - offset
            return WarcLocation(self._filename, offset, length, digest, record.rec_type)

    def read(self, filename: str, offset: int) -> RawResponse:
        """Read back the record at ``offset`` of ``filename``."""
        path = self.directory / filename
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"WARC file not found: {path}") from None
        with handle:
            handle.seek(offset)
            for record in ArchiveIterator(handle):
                http = record.http_headers
                body = record.content_stream().read()
                return RawResponse(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    status=int(http.get_statuscode()) if http else 0,
                    headers=list(http.headers) if http else [],
                    body=body,
                    record_type=record.rec_type,
                )
        raise ValueError(f"no WARC record at {path}:{offset}")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
                self._writer = None
