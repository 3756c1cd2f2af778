"""The only way WeasyPrint may load anything: the project's own report assets, nothing else.

A dossier is untrusted text. Jinja2 escapes it, and this fetcher is the second wall:
even markup that slipped through could not read local files (file:///etc/passwd),
reach the network (http, https, ftp) or smuggle content in (data: URLs).
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

HERE = Path(__file__).resolve().parent
ASSET_DIRS = (HERE / "templates", HERE / "assets")


class RefusedURL(ValueError):
    """A URL outside the project's report assets."""


class AssetFetcher(URLFetcher):
    """Serves file:// URLs under reports/templates and reports/assets; refuses every other URL."""

    def __init__(self, roots: tuple[Path, ...] = ASSET_DIRS):
        super().__init__()  # its opener is never used: fetch() below answers every request
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.refused: list[str] = []  # what was asked for and refused, for tests and logs

    def allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        # resolve() follows symlinks and '..', so neither can lead out of the asset folders
        path = Path(unquote(parts.path)).resolve()
        if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
            return path
        return None

    def fetch(self, url, headers=None):
        path = self.allowed_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"报告渲染不加载外部资源：{url[:120]}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
