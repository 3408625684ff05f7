"""Full-text search over articles, tasks, exercises and the user's own notes, in Chinese and English.

Chinese has no spaces, so text is pre-segmented into tokens before indexing: each run of CJK characters
becomes its character bigrams (plus the character itself for one-character runs) and other text becomes
lowercase words. Queries are segmented the same way and every token must match, so 量化 finds 权重量化.
PostgreSQL ranks with ts_rank over the stored tsvector ('simple' config); SQLite matches tokens as
substrings of the space-padded token text and ranks by hit count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import SearchDoc

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN_RE = re.compile(rf"[{CJK}]+|[a-z0-9]+(?:[._+-][a-z0-9]+)*", re.IGNORECASE)
CJK_RE = re.compile(rf"^[{CJK}]+$")
MARKUP_RE = re.compile(r"[#*`$>|_~\[\]{}\\]+|!?\[([^\]]*)\]\([^)]*\)")
MAX_QUERY_TOKENS = 24
SNIPPET_CHARS = 160


def runs(text: str) -> list[str]:
    """Maximal CJK runs and words, in order (lowercased)."""
    return [m.group(0).lower() for m in RUN_RE.finditer(text or "")]


def _run_tokens(run: str) -> list[str]:
    if CJK_RE.match(run):
        if len(run) == 1:
            return [run]
        return [run[i:i + 2] for i in range(len(run) - 1)]
    # "int4-awq" indexes as itself and its parts, so both spellings are found
    parts = re.split(r"[._+-]", run)
    return [run] + parts if len(parts) > 1 else [run]


def segment(text: str) -> str:
    """Index form: space-separated tokens with a leading and trailing space (for SQLite token matching)."""
    tokens: list[str] = []
    for run in runs(text):
        tokens.extend(_run_tokens(run))
        if CJK_RE.match(run) and len(run) > 1:
            tokens.extend(run)  # unigrams too, so a one-character query still matches
    return f" {' '.join(tokens)} " if tokens else ""


def query_tokens(query: str) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs(query):
        for token in _run_tokens(run)[:1] if not CJK_RE.match(run) else _run_tokens(run):
            seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def plain_text(markdown_text: str) -> str:
    """Markdown source to searchable prose: link text kept, markup characters dropped, whitespace squeezed."""
    text = MARKUP_RE.sub(lambda m: m.group(1) or " ", markdown_text or "")
    return re.sub(r"\s+", " ", text).strip()


def refresh_vectors(queryset) -> None:
    """Recompute the stored tsvector of these documents (no-op off PostgreSQL)."""
    if connection.vendor == "postgresql":
        queryset.update(vector=SearchVector("title_terms", weight="A", config="simple")
                        + SearchVector("text_terms", weight="B", config="simple"))


def index_doc(*, kind: str, object_id: int, slug: str, title: str, text: str, user=None) -> SearchDoc:
    doc, _created = SearchDoc.objects.update_or_create(
        kind=kind, object_id=object_id,
        defaults={"slug": slug, "title": title, "text": text, "user": user,
                  "title_terms": segment(title), "text_terms": segment(text)},
    )
    refresh_vectors(SearchDoc.objects.filter(pk=doc.pk))
    return doc


@dataclass
class Hit:
    doc: SearchDoc
    rank: float
    title_html: SafeString
    snippet_html: SafeString

    @property
    def url(self) -> str:
        d = self.doc
        return {"article": f"/kb/{d.slug}/", "task": f"/tasks/{d.slug}/", "exercise": f"/practice/{d.slug}/",
                "note": f"/tasks/{d.slug}/"}[d.kind]


def search(query: str, *, user, limit: int = 30) -> list[Hit]:
    """Ranked hits visible to `user` (shared content plus their own notes); one query on either database."""
    tokens = query_tokens(query)
    if not tokens:
        return []
    visible = SearchDoc.objects.filter(Q(user__isnull=True) | Q(user=user)).defer("vector")
    if connection.vendor == "postgresql":
        sq = SearchQuery(" & ".join(_tsquery_literal(t) for t in tokens), search_type="raw", config="simple")
        docs = list(visible.filter(vector=sq).annotate(rank=SearchRank(F("vector"), sq))
                    .order_by("-rank", "kind", "slug")[:limit])
        ranked = [(d, float(d.rank)) for d in docs]
    else:
        qs = visible.annotate(rank=Value(0.0))
        for t in tokens:
            qs = qs.filter(Q(title_terms__contains=f" {t} ") | Q(text_terms__contains=f" {t} "))
        ranked = sorted(((d, _hits(d, tokens)) for d in qs[:500]), key=lambda x: (-x[1], x[0].kind, x[0].slug))
        ranked = ranked[:limit]
    words = _highlight_words(query, tokens)
    return [Hit(doc=d, rank=r, title_html=highlight(d.title, words), snippet_html=highlight(snippet(d.text, words),
                                                                                             words))
            for d, r in ranked]


def _tsquery_literal(token: str) -> str:
    # Quoted lexemes: nothing in the user's text can become tsquery syntax.
    return "'" + token.replace("\\", "").replace("'", "''") + "'"


def _hits(doc: SearchDoc, tokens: list[str]) -> float:
    """SQLite rank: title hits weigh like ten body hits, as the 'A' weight does on PostgreSQL."""
    return float(sum(10 * doc.title_terms.count(f" {t} ") + doc.text_terms.count(f" {t} ") for t in tokens))


def _highlight_words(query: str, tokens: list[str]) -> list[str]:
    words = set(runs(query)) | set(tokens)
    return sorted(words, key=len, reverse=True)


def snippet(text: str, words: list[str]) -> str:
    """About SNIPPET_CHARS of text around the first match."""
    lower = text.lower()
    positions = [p for p in (lower.find(w) for w in words) if p >= 0]
    start = max(0, min(positions) - SNIPPET_CHARS // 3) if positions else 0
    piece = text[start:start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")


def highlight(text: str, words: list[str]) -> SafeString:
    """Escape `text` and wrap each match in <mark>; the escaping happens piece by piece, so markup stays inert."""
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))
