"""Full-text search for Chinese and English, the same on SQLite and PostgreSQL.

Chinese has no spaces between words, and SQLite's FTS5 trigram tokenizer cannot match a query
shorter than three characters, yet the words people look for (教育, 学位) are mostly two
characters long. So the index stores *segmented* text: each run of CJK characters becomes its
overlapping bigrams plus its last character (优质均衡 -> 优质 质均 均衡 衡), and everything else
becomes lowercase words. A query is segmented the same way and looked up as a phrase:

- 教育 -> the token 教育; 优质均衡 -> the phrase 优质 质均 均衡; education -> education;
- a single character 教 -> the prefix 教*, which matches 教 at any position in a run.

SQLite keeps the tokens in an FTS5 table (``unicode61`` splits on our spaces); PostgreSQL keeps
a ``tsvector`` built from the same tokens with their positions, so neither backend depends on a
text-search configuration or a locale.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# CJK ideographs (basic, extension A, compatibility, extensions B and later) and kana.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_]+)")
_CJK_RE = re.compile(f"[{_CJK}]")
# PostgreSQL keeps positions up to 16383; later tokens share the last position.
_PG_MAX_POSITION = 16383


class QueryError(ValueError):
    """A search query that cannot be understood (the message says why)."""


def normalize(value: str) -> str:
    """Fold width, case and accents: ｅｄｕ -> edu, Café -> cafe, 教育 unchanged."""
    # Decompose first, then fold case: ™ decomposes to "TM", which must fold to "tm" too.
    value = unicodedata.normalize("NFKD", value).casefold()
    value = "".join(c for c in value if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", value)


def tokens(value: str) -> list[str]:
    """The index tokens of ``value``, in order."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(normalize(value)):
        run, word = match.groups()
        if word:
            out.append(word)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
            out.append(run[-1])
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


def fts5_expression(terms: list[Term]) -> str:
    """An FTS5 MATCH expression (tokens hold only letters and digits, so quoting is safe)."""
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + "*" if term.prefix else phrase)
    return " AND ".join(parts)


def tsquery_expression(terms: list[Term]) -> str:
    """A PostgreSQL ``tsquery`` literal: phrases with ``<->``, prefixes with ``:*``."""
    parts = []
    for term in terms:
        quoted = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            quoted = [quoted[0] + ":*"]
        parts.append("(" + " <-> ".join(quoted) + ")")
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


def index_article(session: Session, article_id: int, title: str | None, body: str) -> None:
    """Add or replace the index entry of one article (in the caller's transaction)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM article_search WHERE rowid = :id"), {"id": article_id})
        session.execute(
            text("INSERT INTO article_search (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": article_id, "title": segment(title or ""), "body": segment(body)},
        )
    else:
        session.execute(
            text(
                "INSERT INTO article_search (article_id, document) "
                "VALUES (:id, CAST(:doc AS tsvector)) "
                "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": article_id, "doc": tsvector_literal(title or "", body)},
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
