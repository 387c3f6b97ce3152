"""The pictures of an article: og:image, then the images inside its main block."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlparse

from lxml.html import HtmlElement

from .document import PageFacts

_MAX_IMAGES = 50
_ICON_PX = 50  # declared width or height below this: spacer, emoji, share button


def article_images(main: HtmlElement | None, facts: PageFacts, url: str) -> tuple[str, ...]:
    """og:image first, then the images of the article's main block, absolute and unwrapped."""
    found: list[str] = []
    if og_image := facts.first_meta("og:image", "twitter:image"):
        found.append(og_image)
    if main is not None and main.getparent() is not None:
        for img in main.iter("img"):
            src = img.get("data-src") or img.get("data-original") or img.get("src") or ""
            if src and not src.startswith("data:") and not _is_icon(img):
                found.append(src)
    images: list[str] = []
    for src in found:
        absolute = _unwrap_image_proxy(urljoin(url, src.strip()) if url else src.strip())
        if absolute.startswith(("http://", "https://")) and absolute not in images:
            images.append(absolute)
    return tuple(images[:_MAX_IMAGES])


def _is_icon(img: HtmlElement) -> bool:
    """Spacers, emoji and share buttons: declared smaller than _ICON_PX."""
    for attribute in ("width", "height"):
        value = (img.get(attribute) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < _ICON_PX:
            return True
    return False


def _unwrap_image_proxy(src: str) -> str:
    """163 serves images as `https://nimg.ws.126.net/?url=<original>&thumbnail=…`."""
    parsed = urlparse(src)
    if parsed.query and parsed.path in ("", "/"):
        original = parse_qs(parsed.query).get("url")
        if original and original[0].startswith(("http://", "https://")):
            return original[0]
    return src
