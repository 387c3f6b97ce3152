"""Canonical URLs: one URL per article, whatever tracking or variant it was found under."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

# Query parameters that track where a click came from and never select content.
# f/spss/clickfrom: 163.com recommendation links (…?f=post2020_dy_recommends); the rest are
# the usual analytics and share tags.
TRACKING_PARAMETERS = frozenset(
    {
        "f",
        "spss",
        "clickfrom",
        "refer",
        "referer",
        "from",
        "source",
        "spm",
        "share_token",
        "fbclid",
        "gclid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "noredirect",
        "adaptation",
        "isappinstalled",
        "scene",
        "sharer_shareid",
        "share_from",
    }
)


def _is_tracking(name: str) -> bool:
    name = unquote(name).lower()
    return name in TRACKING_PARAMETERS or name.startswith("utm_")


def clean_url(url: str) -> str:
    """Lowercase scheme and host, no fragment, no default port, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6
    port = parts.port
    if port and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    # Segments are kept verbatim (show.php?12345 stays as it is); only tracking ones go.
    kept = [s for s in parts.query.split("&") if s and not _is_tracking(s.split("=", 1)[0])]
    return urlunsplit((scheme, host, parts.path or "/", "&".join(kept), ""))


def _site_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def canonical_url(page_url: str, declared: str | None) -> str:
    """The page's declared canonical URL if it is on the same site, else the page URL; cleaned.

    A canonical link to another site is not followed: syndicated copies point at the original,
    and merging them would lose the copy (the duplicate index links them instead).
    """
    if (
        declared
        and declared.lower().startswith(("http://", "https://"))
        and _site_host(declared) == _site_host(page_url)
    ):
        return clean_url(declared)
    return clean_url(page_url)
