"""``newsarchive serve``: the web reader and its JSON API on a local port.

The web framework is imported only when the command runs, so the rest of the CLI starts as fast
as before. The reader binds to 127.0.0.1 unless told otherwise: an archive of scraped pages is
not meant for the open network without a proxy in front of it.
"""

from __future__ import annotations

import socket
from pathlib import Path

import click

from storage.database import ArchiveError, display_url


@click.command("serve")
@click.option(
    "--db",
    "db",
    metavar="URL",
    envvar="ARCHIVE_DATABASE_URL",
    help="SQLAlchemy URL of the archive (default: $ARCHIVE_DATABASE_URL, else sqlite:///archive.db).",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the WARC files are (default: as the crawler writes them, e.g. archive-warc/).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve_command(
    db: str | None, warc_dir: Path | None, host: str, port: int, log_level: str
) -> None:
    """Read the archive in a browser: search, articles, sites and their health, a JSON API.

    The archive is opened read-only. Pages are at http://HOST:PORT/, the API under /api/, its
    OpenAPI document at /openapi.json. Stop it with Ctrl-C.

    \b
    Example:
        newsarchive serve --db sqlite:///demo-archive/archive.db
        newsarchive serve --port 9000      # then open http://127.0.0.1:9000/
        curl 'http://127.0.0.1:8000/api/search?q=教育&limit=5'
    """
    import uvicorn

    from crawler.web.app import create_app

    try:
        app = create_app(db, warc_dir=warc_dir)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    # Bind here, so that a taken port or a foreign address is one line, not uvicorn's exit.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    listener.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    port = listener.getsockname()[1]
    shown = display_url(app.state.archive.url)
    click.echo(f"serving {shown} at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level))
    server.run(sockets=[listener])
