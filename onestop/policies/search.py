"""Chinese full-text search of the policy library (docs/adr/0005-policy-search-index.md).

Chinese has no spaces, so the text is segmented with jieba at write time: ``search_document`` holds space-separated
tokens (search-engine mode, so both 医学科学城 and 医学/科学 are there). A query is segmented the same way.

* PostgreSQL: ``to_tsvector('simple', search_document)`` behind a GIN expression index (created by migration only on
  PostgreSQL), matched with a ``tsquery`` of AND-ed tokens and ranked with ``ts_rank``.
* SQLite (development, tests): every query token must occur as a whole token (`` token `` with the padding spaces).

Both give the same matches: a policy matches when every query token is one of its tokens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

logging.getLogger("jieba").setLevel(logging.WARNING)

_WORD = re.compile(r"[\w\u3400-\u9fff]+", re.UNICODE)
STOP = {"的", "和", "与", "及", "或", "在", "对", "给予", "按", "为", "等", "了", "是"}


def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokens(text: str, *, for_index: bool = False) -> list[str]:
    """Lower-cased tokens without punctuation and stop words, in order, without repeats."""
    jieba = _jieba()
    cut: Iterable[str] = jieba.cut_for_search(text) if for_index else jieba.cut(text)
    seen: dict[str, None] = {}
    for token in cut:
        for part in _WORD.findall(token.lower()):
            if part and part not in STOP:
                seen.setdefault(part, None)
    return list(seen)


def index_text(*parts: str) -> str:
    """The stored search document: tokens padded with spaces so a whole-token ``contains`` works on SQLite."""
    words = tokens(" ".join(p for p in parts if p), for_index=True)
    return f" {' '.join(words)} " if words else ""


def search(queryset: QuerySet[Any], query: str, *, field: str = "search_document") -> QuerySet[Any]:
    """Filter (and on PostgreSQL rank) ``queryset`` by ``query``; an empty query returns it unchanged."""
    words = tokens(query or "")
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector(field, config="simple")
        raw = " & ".join("'" + w.replace("'", "''").replace("\\", "") + "'" for w in words)
        ts_query = SearchQuery(raw, search_type="raw", config="simple")
        ranked: QuerySet[Any] = (queryset.annotate(search_vector=vector, search_rank=SearchRank(vector, ts_query))
                                 .filter(search_vector=ts_query).order_by("-search_rank", "pk"))
        return ranked
    for word in words:
        queryset = queryset.filter(**{f"{field}__contains": f" {word} "})
    return queryset
