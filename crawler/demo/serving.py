"""Running a local test server (the demo site, a mirror) in a daemon thread."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)


class SiteServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the site object its handlers answer for."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], site: Any, handler: type[BaseHTTPRequestHandler]
    ) -> None:
        self.site = site
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)


@contextmanager
def serve_in_thread(server: SiteServer, name: str, host: str) -> Iterator[str]:
    """Serve until the block ends; yields the base URL, without a trailing slash."""
    # A short poll interval: leaving the block (shutdown) takes at most this long.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    port = server.server_port
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    logger.debug("%s listening: %s", name, base)
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        logger.debug("%s stopped: %s", name, base)
