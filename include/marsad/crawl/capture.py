"""Raw capture: every response and every failed request of an outlet-hour in one WARC file.

The WARC is the bronze layer: processing (and any backfill) re-derives articles and the fetch log
from it without touching the network. Marsad's own facts about each attempt travel as extra WARC
headers named ``Marsad-*`` (kind, attempt, elapsed, failure class, feed date).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from marsad.lake import storage

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


@dataclass
class CapturedRecord:
    """One attempt as stored in the WARC: a response, or a failure with no usable response."""

    url: str
    kind: str  # robots | feed | sitemap | listing | article
    status: int | None
    headers: dict[str, str]
    body: bytes
    meta: dict[str, str] = field(default_factory=dict)  # Marsad-* headers without the prefix, lower-case keys

    @property
    def failure_class(self) -> str | None:
        return self.meta.get("failure-class") or None


class WarcCapture:
    """Write records to ``path``; visible under its final name only after ``close()`` (atomic rename)."""

    def __init__(self, path: Path):
        self.path = storage.as_path(path)
        # beside the final name on local disk (atomic rename); in the local work dir for a remote lake (one upload)
        self._tmp = storage.local_temp_for(self.path, f".{os.getpid()}.part")
        self._fh = open(self._tmp, "wb")
        self._writer = WARCWriter(self._fh, gzip=True)
        self.count = 0

    @staticmethod
    def _warc_headers(meta: dict[str, object]) -> dict[str, str]:
        return {f"Marsad-{k}": str(v) for k, v in meta.items() if v is not None and v != ""}

    def write_response(self, url: str, status: int, reason: str, headers: list[tuple[str, str]], body: bytes,
                       meta: dict[str, object]) -> None:
        http_headers = [(k, v) for k, v in headers if k.lower() not in _HOP_HEADERS]
        http_headers.append(("Content-Length", str(len(body))))
        sh = StatusAndHeaders(f"{status} {reason or ''}".strip(), http_headers, protocol="HTTP/1.1")
        rec = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=sh,
                                              warc_headers_dict=self._warc_headers(meta))
        self._writer.write_record(rec)
        self.count += 1

    def write_failure(self, url: str, meta: dict[str, object]) -> None:
        payload = json.dumps({k: v for k, v in meta.items() if v is not None}, ensure_ascii=False).encode()
        rec = self._writer.create_warc_record(url, "metadata", payload=io.BytesIO(payload),
                                              warc_content_type="application/json",
                                              warc_headers_dict=self._warc_headers(meta))
        self._writer.write_record(rec)
        self.count += 1

    def close(self) -> Path:
        self._fh.close()
        storage.put_file(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "WarcCapture":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_warc(path: Path) -> Iterator[CapturedRecord]:
    """Records of a capture file, in the order they were written."""
    with storage.as_path(path).open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type not in ("response", "metadata"):
                continue
            meta = {k[len("Marsad-"):].lower(): v for k, v in rec.rec_headers.headers if k.startswith("Marsad-")}
            url = rec.rec_headers.get_header("WARC-Target-URI")
            body = rec.content_stream().read()
            if rec.rec_type == "response":
                status = int(rec.http_headers.get_statuscode())
                headers = {k.lower(): v for k, v in rec.http_headers.headers}
            else:
                status = int(meta["status"]) if meta.get("status") else None
                headers = {}
            yield CapturedRecord(url=url, kind=meta.get("kind", ""), status=status, headers=headers,
                                 body=body if rec.rec_type == "response" else b"", meta=meta)
