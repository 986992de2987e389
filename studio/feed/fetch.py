"""Reading a subscribed feed and its files, from an HTTP(S) URL or a folder, with limits.

HTTP goes through httpx with connect/read timeouts and an overall deadline per request (a server that
drips one byte every few seconds fails too), a size cap per file checked against Content-Length and
while streaming, and redirects followed by hand only within the feed's own scheme, host and port.
An invite token in the feed URL's query (`?token=...`) is sent with every request to that host.

Media names are relative to the feed: for a URL ending in `/` or in a file name (`.../feed.json`) they
resolve as a browser would; a bare path (`http://host:8000/feed`) is a folder, so its files are under
`/feed/media/...` (which is where `kinora serve` serves them).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

from studio.errors import FeedError
from studio.feed.document import MAX_DOCUMENT_BYTES

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0
REQUEST_DEADLINE_S = 120.0  # a whole file; a slow server fails its subscription, never hangs it
MAX_REDIRECTS = 3
CHUNK = 256 * 1024


class FeedSource(Protocol):
    """Where a subscription's feed document and files come from."""

    description: str

    def read_document(self) -> bytes: ...

    def download(self, name: str, dest: Path, max_bytes: int) -> None: ...

    def close(self) -> None: ...


def open_source(source: str, *, read_timeout_s: float = READ_TIMEOUT_S,
                deadline_s: float = REQUEST_DEADLINE_S) -> FeedSource:
    """An HttpSource for http(s) URLs, else a FolderSource for a folder holding feed.json."""
    if source.startswith(("http://", "https://")):
        return HttpSource(source, read_timeout_s=read_timeout_s, deadline_s=deadline_s)
    return FolderSource(Path(source).expanduser())


def source_kind(source: str) -> str:
    return "http" if source.startswith(("http://", "https://")) else "folder"


class FolderSource:
    """A feed written to a folder (the outbox, or a synced copy of a friend's)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = str(folder)

    def read_document(self) -> bytes:
        from studio.feed.publish import FEED_FILE

        path = self.folder / FEED_FILE
        if not path.is_file():
            raise FeedError(f"There is no {FEED_FILE} in {self.folder}; pick the folder a Kinora feed was written to.")
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise FeedError(f"{path} is larger than the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB a feed may be.")
        return path.read_bytes()

    def download(self, name: str, dest: Path, max_bytes: int) -> None:
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise FeedError(f"{name} lies outside the feed's folder.")
        if not path.is_file():
            raise FeedError(f"{name} is missing from {self.folder} (it may still be syncing).")
        if path.stat().st_size > max_bytes:
            raise FeedError(f"{name} is larger than the {_mb(max_bytes)} cap.")
        with open(path, "rb") as src, open(dest, "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)

    def close(self) -> None:
        pass


class HttpSource:
    """A feed served over HTTP(S), e.g. by a friend's `kinora serve`."""

    def __init__(self, url: str, *, read_timeout_s: float = READ_TIMEOUT_S, deadline_s: float = REQUEST_DEADLINE_S) -> None:
        import httpx

        parts = urlsplit(url)
        if not parts.hostname:
            raise FeedError(f"'{url}' is not a feed URL (no host).")
        self.url = url
        self.description = url
        self._origin = (parts.scheme, parts.hostname, parts.port)
        token = parse_qs(parts.query).get("token", [None])[0]
        self._params = {"token": token} if token else {}
        self._base = _folder_of(url)
        self._final_url = url
        self._deadline_s = deadline_s
        self._client = httpx.Client(timeout=httpx.Timeout(read_timeout_s, connect=CONNECT_TIMEOUT_S),
                                    follow_redirects=False, headers={"Accept": "application/feed+json, application/json"})

    def read_document(self) -> bytes:
        data = self._get(self.url, MAX_DOCUMENT_BYTES, None)
        self._base = _folder_of(self._final_url)  # after a same-host redirect, media are beside the real feed
        return data

    def download(self, name: str, dest: Path, max_bytes: int) -> None:
        url = urljoin(self._base, name)
        if self._params:
            url += ("&" if "?" in url else "?") + urlencode(self._params)
        self._get(url, max_bytes, dest)

    def close(self) -> None:
        self._client.close()

    def _get(self, url: str, max_bytes: int, dest: Path | None) -> bytes:
        import httpx

        started = time.monotonic()
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self._client.stream("GET", url) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        parts = urlsplit(target)
                        if (parts.scheme, parts.hostname, parts.port) != self._origin:
                            raise FeedError(f"{self.url} redirected off the feed's host, to {target}; "
                                            "Kinora only follows redirects within the same host.")
                        url = target
                        continue
                    if response.status_code != 200:
                        raise FeedError(f"{url} answered HTTP {response.status_code}"
                                        + (" (the invite token is missing or revoked)" if response.status_code in (401, 403) else "")
                                        + ".")
                    self._final_url = url
                    length = response.headers.get("content-length")
                    if length and length.isdigit() and int(length) > max_bytes:
                        raise FeedError(f"{url} is {_mb(int(length))}, over the {_mb(max_bytes)} cap.")
                    return self._read(response, url, max_bytes, dest, started)
            except httpx.TimeoutException as exc:
                raise FeedError(f"{url} did not answer in time ({type(exc).__name__}); the server is too slow "
                                "or gone. Kinora will try again at the next sync.") from exc
            except httpx.HTTPError as exc:
                raise FeedError(f"Cannot fetch {url}: {exc}.") from exc
        raise FeedError(f"{self.url} redirected more than {MAX_REDIRECTS} times.")

    def _read(self, response, url: str, max_bytes: int, dest: Path | None, started: float) -> bytes:  # type: ignore[no-untyped-def]
        received = 0
        chunks: list[bytes] = []
        out = open(dest, "wb") if dest is not None else None
        try:
            for chunk in response.iter_bytes(CHUNK):
                received += len(chunk)
                if received > max_bytes:
                    raise FeedError(f"{url} is larger than the {_mb(max_bytes)} cap; it was not downloaded.")
                if time.monotonic() - started > self._deadline_s:
                    raise FeedError(f"{url} took longer than {self._deadline_s:.0f} s; the server is too slow.")
                if out is not None:
                    out.write(chunk)
                else:
                    chunks.append(chunk)
        finally:
            if out is not None:
                out.close()
        return b"".join(chunks)


def _folder_of(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"  # a bare path names a folder: its media are under it
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
