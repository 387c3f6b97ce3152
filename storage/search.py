"""Full-text search for Chinese and English, the same on SQLite and PostgreSQL.

Chinese has no spaces between words, and SQLite's FTS5 trigram tokenizer cannot match a query
shorter than three characters, yet the words people look for (教育, 学位) are mostly two
characters long. So the index stores *segmented* text: each run of CJK characters becomes its
overlapping bigrams plus its last character (优质均衡 -> 优质 质均 均衡 衡), and everything else
becomes lowercase words. A query is segmented the same way and looked up as a phrase:

- 教育 -> the token 教育; 优质均衡 -> the phrase 优质 质均 均衡; education -> education;
- a single character 教 -> the prefix 教*, which matches 教 at any position in a run.

SQLite keeps the tokens in an FTS5 table (its ``ascii`` tokenizer splits on our spaces and has
nothing left to fold); PostgreSQL keeps a ``tsvector`` built from the same tokens with their
positions, so neither backend depends on a text-search configuration or a locale.

Each entry also carries *facets*, tokens for the article's site, language and publish day, month
and year (``site12 langzh langzhcn y2025 m202501 d20250115``; in PostgreSQL prefixed with ``#``,
which no text token has, and without positions), so that the filters of a search are looked up in
the same index as its words: the index intersects them, and ranking never has to score an
article the filters leave out. A date range becomes the fewest whole years, months and days that
cover it; its exact bounds are checked on the articles afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from operator import add

from sqlalchemy import text
from sqlalchemy.orm import Session

from storage.health import record_health

# CJK ideographs (basic, extension A, compatibility, extensions B and later) and kana.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_]+)")
_CJK_RE = re.compile(f"[{_CJK}]")
# Entries per INSERT into SQLite's index (4 bound values each, far below SQLite's limit).
_INDEX_ROWS = 250
# PostgreSQL keeps positions up to 16383; later tokens share the last position.
_PG_MAX_POSITION = 16383
# A date filter open at its start covers publish dates from this year on.
_FIRST_YEAR = 1900


class QueryError(ValueError):
    """A search query that cannot be understood (the message says why)."""


class _DropMarks(dict[int, int | None]):
    """A ``str.translate`` table that drops nonspacing marks (category Mn: accents, tone
    marks) and keeps every other character, filled in as characters are first seen."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = kept
        return kept


_DROP_MARKS = _DropMarks()
# Blocks that hold no nonspacing mark (a test checks it): Latin up to U+02FF, general
# punctuation, CJK symbols and kana but for U+302A-302F and U+3099-309A, CJK ideographs, and
# the full-width forms. A text of these alone has no mark to drop, which is most Chinese and
# English text, and ``str.translate`` would look up every one of its characters to find that.
_NO_MARKS = (
    (0x0000, 0x02FF),
    (0x2000, 0x206F),
    (0x3000, 0x3029),
    (0x3030, 0x3098),
    (0x309B, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xFF00, 0xFFEF),
)
_MAY_HOLD_MARKS = re.compile("[^" + "".join(rf"\u{a:04x}-\u{b:04x}" for a, b in _NO_MARKS) + "]")


def normalize(value: str) -> str:
    """Fold width, case and accents: ｅｄｕ -> edu, Café -> cafe, 教育 unchanged."""
    # Decompose first, then fold case: ™ decomposes to "TM", which must fold to "tm" too.
    value = unicodedata.normalize("NFKD", value).casefold()
    if _MAY_HOLD_MARKS.search(value):
        value = value.translate(_DROP_MARKS)
    return unicodedata.normalize("NFC", value)


def tokens(value: str) -> list[str]:
    """The index tokens of ``value``, in order."""
    out: list[str] = []
    for run, word in _TOKEN_RE.findall(normalize(value)):
        if word:
            out.append(word)
        else:
            out += map(add, run[:-1], run[1:])  # each pair of neighbours,
            out.append(run[-1])  # and the last character alone
    return out


def segment(value: str) -> str:
    """``tokens`` joined by spaces: what the SQLite index stores."""
    return " ".join(tokens(value))


@dataclass(frozen=True)
class Term:
    """One query term: a phrase of tokens, or a prefix (a single CJK character)."""

    tokens: tuple[str, ...]
    prefix: bool = False


def _term_tokens(chunk: str) -> tuple[str, ...]:
    """Tokens of a query chunk: a CJK run gives its bigrams only (no trailing unigram)."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(normalize(chunk)):
        run, word = match.groups()
        if word:
            out.append(word)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tuple(out)


def parse_query(query: str) -> list[Term]:
    """Split a user query into terms, all of which must match.

    Words are separated by spaces; ``"…"`` groups words into one phrase. Anything that is not a
    letter, digit or CJK character is ignored, so no query can inject search-engine syntax.
    """
    if query.count('"') % 2:
        raise QueryError("unbalanced quote in the query")
    terms: list[Term] = []
    for i, part in enumerate(query.split('"')):
        chunks = [part] if i % 2 else part.split()
        for chunk in chunks:
            found = _term_tokens(chunk)
            if not found:
                continue
            single_cjk = len(found) == 1 and len(found[0]) == 1 and _CJK_RE.match(found[0])
            terms.append(Term(found, prefix=bool(single_cjk)))
    if not terms:
        raise QueryError("the query has no words to search for")
    return terms


def fts5_expression(terms: list[Term], facet_groups: Sequence[Sequence[str]] = ()) -> str:
    """An FTS5 MATCH expression (tokens hold only letters and digits, so quoting is safe): the
    terms in the title or body, and one facet of every group.
    """
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + "*" if term.prefix else phrase)
    expression = "{title body} : (" + " AND ".join(parts) + ")"
    for group in facet_groups:
        expression += " AND facets : (" + " OR ".join(group) + ")"
    return expression


def tsquery_expression(
    terms: list[Term], facet_groups: Sequence[Sequence[str]] = (), *, phrases: bool = True
) -> str:
    """A PostgreSQL ``tsquery`` literal: phrases with ``<->``, prefixes with ``:*``, and one
    facet of every group. Without ``phrases``, a phrase's words need only all be there: a query
    the GIN index answers alone, without reading any article's tsvector."""
    parts = []
    for term in terms:
        quoted = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            quoted = [quoted[0] + ":*"]
        parts.append("(" + (" <-> " if phrases else " & ").join(quoted) + ")")
    for group in facet_groups:
        parts.append("(" + " | ".join(f"'#{facet}'" for facet in group) + ")")
    return " & ".join(parts)


def tsvector_literal(title: str, body: str) -> str:
    """A ``tsvector`` literal with positions; title tokens weighted A, body tokens D."""
    return tsvector_of_tokens(tokens(title), tokens(body))


def tsvector_of_tokens(title: list[str], body: list[str]) -> str:
    """``tsvector_literal`` of text already split by ``tokens`` (bulk loads reuse the tokens).

    Positions count on from the title into the body; past ``_PG_MAX_POSITION`` they all share
    the last position, as PostgreSQL would clamp them.
    """
    entries = []
    for weight, found, start in (("A", title, 1), ("", body, len(title) + 1)):
        positions: dict[str, list[int]] = {}
        for position, token in enumerate(found, start):
            positions.setdefault(token, []).append(position)
        for token, where in positions.items():
            if where[-1] > _PG_MAX_POSITION:
                where = sorted({min(p, _PG_MAX_POSITION) for p in where})
            spots = ",".join([f"{p}A" for p in where] if weight else map(str, where))
            entries.append(f"'{token}':{spots}")
    return " ".join(entries)


def site_facet(site_id: int) -> str:
    return f"site{site_id}"


def language_facets(language: str) -> list[str]:
    """zh-CN -> langzh langzhcn: a filter on zh matches zh-cn too, one on zh-cn only zh-cn."""
    return list(_language_facets(language))


@cache
def _language_facets(language: str) -> tuple[str, ...]:
    subtags = [t for t in re.split(r"[^0-9a-z]+", language.lower()) if t]
    return tuple("lang" + "".join(subtags[: i + 1]) for i in range(len(subtags)))


def date_facets(published: datetime) -> list[str]:
    day = published.astimezone(UTC) if published.tzinfo else published
    # What f"{day:%Y}", f"{day:%Y%m}" and f"{day:%Y%m%d}" give, without strftime's cost.
    year = str(day.year)
    month = f"{year}{day.month:02d}"
    return [f"y{year}", f"m{month}", f"d{month}{day.day:02d}"]


def facets(site_id: int | None, language: str | None, published: datetime | None) -> list[str]:
    """The facet tokens of an article (``published`` naive means UTC)."""
    out = [site_facet(site_id)] if site_id is not None else []
    out += language_facets(language) if language else []
    out += date_facets(published) if published is not None else []
    return out


def date_cover(since: datetime | None, until: datetime | None) -> list[str]:
    """The fewest year, month and day facets whose union covers ``[since, until)`` (UTC days);
    partly covered days at either end are included whole."""
    first = since.astimezone(UTC).date() if since else date(_FIRST_YEAR, 1, 1)
    if until is None:
        last = date(max(date.today().year, first.year) + 1, 12, 31)
    else:
        last = (until.astimezone(UTC) - timedelta(microseconds=1)).date()
    out: list[str] = []
    day = first
    while day <= last:
        year_end = date(day.year, 12, 31)
        month_end = date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)
        if day.month == 1 and day.day == 1 and year_end <= last:
            out.append(f"y{day:%Y}")
            day = year_end + timedelta(days=1)
        elif day.day == 1 and month_end <= last:
            out.append(f"m{day:%Y%m}")
            day = month_end + timedelta(days=1)
        else:
            out.append(f"d{day:%Y%m%d}")
            day += timedelta(days=1)
    return out


def _facets_of_article(session: Session, article_id: int) -> list[str]:
    row = session.execute(
        text("SELECT site_id, language, published_at FROM articles WHERE id = :id"),
        {"id": article_id},
    ).one()
    published = row.published_at
    if isinstance(published, str):  # SQLite through a plain text() query
        published = datetime.fromisoformat(published)
    return facets(row.site_id, row.language, published)


def pg_facets(found: list[str]) -> str:
    """Facets as ``tsvector`` lexemes without positions."""
    return " ".join(f"'#{facet}'" for facet in found)


def index_article(session: Session, article_id: int, title: str | None, body: str) -> None:
    """Add or replace the index entry of one article (in the caller's transaction), after the
    article's row: its facets are read from there. Its health row (``storage.health``), derived
    from the same row and text, is kept with it."""
    record_health(session, article_id, body)
    found = _facets_of_article(session, article_id)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM article_search WHERE rowid = :id"), {"id": article_id})
        session.execute(
            text(
                "INSERT INTO article_search (rowid, title, body, facets) "
                "VALUES (:id, :title, :body, :facets)"
            ),
            {
                "id": article_id,
                "title": segment(title or ""),
                "body": segment(body),
                "facets": " ".join(found),
            },
        )
    else:
        document = " ".join(filter(None, [tsvector_literal(title or "", body), pg_facets(found)]))
        session.execute(
            text(
                "INSERT INTO article_search (article_id, document) "
                "VALUES (:id, CAST(:doc AS tsvector)) "
                "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": article_id, "doc": document},
        )


def highlight_terms(query: str) -> list[str]:
    """The strings to highlight in a snippet for ``query``."""
    words = []
    for i, part in enumerate(query.split('"')):
        words.extend([part.strip()] if i % 2 else part.split())
    return [w for w in words if w]


def snippet(
    value: str, terms: list[str], *, width: int = 80, mark: tuple[str, str] = ("[", "]")
) -> str:
    """A window of ``value`` around the first match of any term, matches wrapped in ``mark``."""
    folded = value.casefold()
    hits = [(folded.find(t.casefold()), t) for t in terms]
    hits = [(i, t) for i, t in hits if i >= 0]
    start = max(0, min(i for i, _ in hits) - width // 3) if hits else 0
    window = value[start : start + width].replace("\n", " ")
    if hits:
        alternatives = "|".join(re.escape(t) for t in sorted({t for _, t in hits}, key=len)[::-1])
        window = re.sub(
            alternatives, lambda m: f"{mark[0]}{m.group(0)}{mark[1]}", window, flags=re.I
        )
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(value) else ""
    return f"{prefix}{window}{suffix}"


@dataclass(frozen=True)
class IndexEntry:
    """One article's index entry, worked out beforehand: ``title`` and ``body`` already
    segmented (:func:`segment`), ``facets`` as :func:`facets` gives them for its row."""

    article_id: int
    title: str
    body: str
    facets: list[str]


def index_articles(session: Session, entries: Sequence[IndexEntry], *, new: bool = False) -> None:
    """:func:`index_article` for many articles at once, one statement each way. ``new``: the
    articles were inserted in this transaction, so no entry of theirs can exist to replace."""
    if not entries:
        return
    if session.get_bind().dialect.name == "sqlite":
        if not new:  # an FTS5 delete reads the old entry back to unindex it
            session.execute(
                text("DELETE FROM article_search WHERE rowid = :id"),
                [{"id": entry.article_id} for entry in entries],
            )
        # Many rows per statement: the driver holds the GIL only to bind them, then indexes
        # them all in one step without it (an executemany takes the GIL back for every row).
        connection = session.connection()
        for start in range(0, len(entries), _INDEX_ROWS):
            chunk = entries[start : start + _INDEX_ROWS]
            values = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
            connection.exec_driver_sql(
                f"INSERT INTO article_search (rowid, title, body, facets) VALUES {values}",
                tuple(
                    value
                    for entry in chunk
                    for value in (entry.article_id, entry.title, entry.body, " ".join(entry.facets))
                ),
            )
        return
    rows = []
    for entry in entries:
        # Segmented text is its tokens joined by spaces (no token holds a space).
        vector = tsvector_of_tokens(entry.title.split(), entry.body.split())
        document = " ".join(filter(None, [vector, pg_facets(entry.facets)]))
        rows.append({"id": entry.article_id, "doc": document})
    session.execute(
        text(
            "INSERT INTO article_search (article_id, document) "
            "VALUES (:id, CAST(:doc AS tsvector)) "
            "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
        ),
        rows,
    )
