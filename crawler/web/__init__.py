"""The web reader: ``newsarchive serve``, a read-only FastAPI app over the archive.

``app`` builds the application, ``pages`` the HTML pages, ``api`` the JSON API, ``params`` the
request parameters they share, ``command`` the CLI command. Templates and static files (CSS, the
chart script) live beside them; nothing is fetched from anywhere else at run time.
"""
