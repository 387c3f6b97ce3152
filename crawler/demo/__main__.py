"""The demo news site and the site mirrors.

``python -m crawler.demo serve [--host HOST] [--port PORT]``: serve the demo site until interrupted.
``python -m crawler.demo run [--port PORT] [--archive DIR]``: serve, crawl, search (`make demo`).
``python -m crawler.demo mirror ROOT [--host HOST] [--port PORT]``: serve a mirror directory
(``ROOT/<host>/<path>``, e.g. tests/fixtures/mirrors/netease) until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from types import FrameType

from crawler.demo.mirror import MirrorSite
from crawler.demo.run import run
from crawler.demo.server import DemoSite


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; one line on stdout says where."""
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the demo news site until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    demo = commands.add_parser("run", help="serve the site, crawl it into an archive, search it")
    demo.add_argument("--port", type=int, default=8765, help="port of the demo site")
    demo.add_argument("--archive", type=Path, default=Path("demo-archive"), help="archive folder")
    mirror = commands.add_parser("mirror", help="serve a site mirror (ROOT/<host>/<path>)")
    mirror.add_argument("root", type=Path, help="e.g. tests/fixtures/mirrors/qilu")
    mirror.add_argument("--host", default="127.0.0.1", help="address to listen on")
    mirror.add_argument("--port", type=int, default=8766, help="port (0 picks a free one)")
    args = parser.parse_args(argv)
    if args.command == "run":
        try:
            run(args.port, args.archive)
        except OSError as exc:
            parser.exit(1, f"error: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}\n")
        except subprocess.CalledProcessError as exc:
            parser.exit(1, f"error: {exc.cmd[0]} failed with exit code {exc.returncode}\n")
        return 0

    server: AbstractContextManager[str]
    if args.command == "mirror":
        try:
            site = MirrorSite(args.root)
        except ValueError as exc:
            parser.exit(1, f"error: {exc}\n")
        server = site.serve(args.host, args.port)
        what = f"mirror of {args.root} ({', '.join(site.hosts)})"
    else:
        server = DemoSite().serve(args.host, args.port)
        what = "demo news site"
    try:
        _serve_until_stopped(server, what)
    except OSError as exc:
        parser.exit(1, f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}\n")
    return 0


def _serve_until_stopped(server: AbstractContextManager[str], what: str) -> None:
    """Enter ``server``, say where it listens, then block until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Both set explicitly: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with server as base:
        print(f"{what} on {base}/", flush=True)
        while not stop.wait(0.5):
            pass


if __name__ == "__main__":
    raise SystemExit(main())
