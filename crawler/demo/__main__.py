"""The demo news site.

``python -m crawler.demo serve [--host HOST] [--port PORT]``: serve it until interrupted.
``python -m crawler.demo run [--port PORT] [--archive DIR]``: serve, crawl, search (`make demo`).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import threading
from pathlib import Path
from types import FrameType

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
    args = parser.parse_args(argv)
    if args.command == "run":
        try:
            run(args.port, args.archive)
        except OSError as exc:
            parser.exit(1, f"error: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}\n")
        except subprocess.CalledProcessError as exc:
            parser.exit(1, f"error: {exc.cmd[0]} failed with exit code {exc.returncode}\n")
        return 0

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Both set explicitly: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        with DemoSite().serve(args.host, args.port) as base:
            print(f"demo news site on {base}/", flush=True)
            while not stop.wait(0.5):
                pass
    except OSError as exc:
        parser.exit(1, f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
