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

try:  # ISA-L: the same gzip members as zlib makes, a few times faster (see GZIP_LEVEL)
    from isal.isal_zlib import compressobj
except ImportError:  # without isal installed: zlib, slower at the same size
    from zlib import compressobj  # type: ignore[assignment]

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_SIZE = 1_000_000_000
# Each record's gzip member is made by ISA-L (isal) if installed. On the corpus's news pages
# (144 KB), per page and compressed size: ISA-L level 2 0.43 ms, 23.4%; its level 3 1.03 ms,
# 22.8%; zlib level 1 1.66 ms, 23.9%; zlib level 6 3.68 ms, 20.4%. Level 2 spends a
# crawl's worker time on extraction rather than on the last 3% of the file size.
GZIP_LEVEL = 2
# Headers describing a transfer encoding that is no longer there: Scrapy hands us the decoded
# body, and a WARC reader would try to undo the encoding again.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
# Builds records (never writes: records are gzipped and appended by ``WarcStore``).
_BUILDER = WARCWriter(None, gzip=False)


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
class PreparedRecord:
    """A ``response`` record built and gzipped ahead of time, in any process (an extraction
    worker): writing it is only appending its bytes (:meth:`WarcStore.append`)."""

    data: bytes
    payload_digest: str


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


def _gzipped(record: ArcWarcRecord, level: int = GZIP_LEVEL) -> bytes:
    """One record as one gzip member, as warcio writes it, at ``level``."""
    buffer = BytesIO()
    WARCWriter(buffer, gzip=False).write_record(record)
    compressor = compressobj(level, 8, 15 + 16)  # deflate, a 32 KB window, a gzip header
    return compressor.compress(buffer.getbuffer()) + compressor.flush()


def _response_record(
    url: str, status: int, headers: list[tuple[str, str]], body: bytes, fetched_at: datetime
) -> ArcWarcRecord:
    return _BUILDER.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=_http_headers(status, headers, len(body)),
        warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
    )


def prepare_response(
    url: str, status: int, headers: list[tuple[str, str]], body: bytes, fetched_at: datetime
) -> PreparedRecord:
    """The gzipped ``response`` record of a fetch, ready for :meth:`WarcStore.append`."""
    record = _response_record(url, status, headers, body, fetched_at)
    digest = record.rec_headers.get_header("WARC-Payload-Digest")  # warcio's sha1, as ours
    return PreparedRecord(_gzipped(record), digest)


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
        self._serial = 0
        self._lock = threading.RLock()

    def _open_next(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self._filename = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}.warc.gz"
        self._file = (self.directory / self._filename).open("ab")
        info = _BUILDER.create_warcinfo_record(
            self._filename, {"software": "newsarchive", "format": "WARC File Format 1.1"}
        )
        self._file.write(_gzipped(info))
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
        if revisit_of is None:
            return self.append(prepare_response(url, status, headers, body, fetched_at))
        record = _BUILDER.create_revisit_record(
            url,
            digest=payload_digest(body),
            refers_to_uri=revisit_of.url,
            refers_to_date=_warc_date(revisit_of.fetched_at),
            http_headers=_http_headers(status, headers, len(body)),
            warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
        )
        return self._append(
            _gzipped(record), record.rec_headers.get_header("WARC-Payload-Digest"), "revisit"
        )

    def append(self, record: PreparedRecord) -> WarcLocation:
        """Append a record prepared by :func:`prepare_response` and return where it is."""
        return self._append(record.data, record.payload_digest, "response")

    def _append(self, data: bytes, digest: str, record_type: str) -> WarcLocation:
        with self._lock:
            if self._file is None or self._file.tell() >= self.max_file_size:
                self._open_next()
            assert self._file is not None
            offset = self._file.tell()
            self._file.write(data)
            self._file.flush()
            return WarcLocation(self._filename, offset, len(data), digest, record_type)

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
