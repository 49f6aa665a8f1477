"""Lake storage: the few file operations the pipeline needs, on a local directory or an object store.

``MARSAD_LAKE`` is a local path (a :class:`pathlib.Path`, behaviour exactly as before: hidden temporary
name + fsync + rename) or an fsspec URI such as ``s3://bucket/prefix`` (a :class:`upath.UPath` backed by
s3fs; endpoint and credentials from the standard ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``). Both path types share the pathlib API the code uses
(``/``, ``name``, ``parent``, ``exists``, ``is_dir``, ``glob``, ``iterdir``, ``open``, ``read_text``,
``unlink``); what differs is here:

- an object is published by ONE PUT of the finished bytes (atomic per object: a reader sees the old or
  the new object, never a partial one), so there is no temporary name on a remote lake;
- "directories" do not exist on an object store: :func:`mkdir` is a no-op and :func:`rmtree` removes a prefix;
- Parquet is read from the object's bytes (the lake's files are one outlet-hour or one outlet-day);
- directory listings are never cached (several workers write the same lake).

Staging (``_staging/…``) stays inside the lake on both kinds, so the stages of one outlet-hour can run on
different Celery workers.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_URI_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_uri(value: str) -> bool:
    return bool(_URI_RE.match(value)) and not value.startswith("file://")


def as_path(value: Any):
    """A lake location as a Path (local) or a UPath (object store); path objects pass through."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) and hasattr(value, "fs") and hasattr(value, "protocol"):
        return value  # already a UPath
    text = os.fspath(value) if not isinstance(value, str) else value
    if text.startswith("file://"):
        return Path(text.removeprefix("file://"))
    if is_uri(text):
        from upath import UPath

        return UPath(text, use_listings_cache=False)
    return Path(text)


def is_remote(path) -> bool:
    return not isinstance(path, Path)


def mkdir(path) -> None:
    """Create a directory (and parents) on local disk; nothing to do on an object store."""
    if not is_remote(path):
        path.mkdir(parents=True, exist_ok=True)


def unlink(path) -> None:
    """Remove a file if it exists."""
    if is_remote(path):
        try:
            path.fs.rm_file(path.path)
        except FileNotFoundError:
            pass
    else:
        path.unlink(missing_ok=True)


def rmtree(path) -> None:
    """Remove a directory tree (a prefix on an object store); missing is fine."""
    if is_remote(path):
        try:
            path.fs.rm(path.path, recursive=True)
        except FileNotFoundError:
            pass
    else:
        shutil.rmtree(path, ignore_errors=True)


def put_bytes(data: bytes, path) -> None:
    """Publish ``data`` under ``path`` at once: temporary name + fsync + rename locally, one PUT remotely."""
    if is_remote(path):
        path.fs.pipe_file(path.path, data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def put_file(local: Path, path) -> None:
    """Move a finished local file to ``path`` (rename locally, one upload remotely; the local file is removed)."""
    if is_remote(path):
        path.fs.put_file(str(local), path.path)
        Path(local).unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local, path)


def local_temp_for(path, suffix: str) -> Path:
    """Where to write a file before it is published at ``path``: beside it locally (same file system, so
    the rename is atomic), in the work directory for a remote lake."""
    if not is_remote(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(path.name + suffix)
    work = work_dir() / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=path.name + ".", suffix=suffix, dir=work)
    os.close(fd)
    return Path(name)


def work_dir() -> Path:
    """Local scratch space for a remote lake (``$MARSAD_WORK_DIR``, default a folder in the system temp dir)."""
    return Path(os.environ.get("MARSAD_WORK_DIR") or Path(tempfile.gettempdir()) / "marsad-work")


def write_table(table: pa.Table, path, **kwargs) -> None:
    """``pq.write_table`` to a lake path (a plain write locally, exactly as before; one PUT remotely)."""
    if is_remote(path):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **kwargs)
        path.fs.pipe_file(path.path, sink.getvalue().to_pybytes())
    else:
        pq.write_table(table, path, **kwargs)


def _source(path):
    return pa.BufferReader(path.read_bytes()) if is_remote(path) else path


def read_table(path, **kwargs) -> pa.Table:
    return pq.read_table(_source(path), **kwargs)


def parquet_file(path) -> pq.ParquetFile:
    return pq.ParquetFile(_source(path))


def duckdb_register(con, path) -> None:
    """Let DuckDB read ``path``'s URIs through fsspec (no httpfs extension needed)."""
    if is_remote(path):
        fs = path.fs
        if not con.filesystem_is_registered(fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]):
            con.register_filesystem(fs)


def duckdb_name(path) -> str:
    """The name DuckDB reads ``path`` by (the URI for a remote lake)."""
    return str(path)
