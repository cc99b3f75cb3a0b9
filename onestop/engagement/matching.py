"""Chinese keyword matching between needs and researchers (jieba TF-IDF keywords, overlap score). Keywords are
computed when a need or a researcher profile is saved and stored on the row, so suggestions are a cheap set
comparison at read time."""

from __future__ import annotations

from collections.abc import Iterable
from threading import Lock
from typing import Any

_LOCK = Lock()
STOP = {"我们", "需要", "进行", "相关", "实现", "要求", "能够", "以及", "技术", "研究", "企业", "项目"}


def keywords(text: str, *, top: int = 20) -> list[str]:
    import jieba.analyse

    with _LOCK:  # jieba initialises its dictionary lazily and is not thread-safe while doing so
        words = jieba.analyse.extract_tags(text or "", topK=top * 2)
    out = [w for w in words if len(w) >= 2 and w not in STOP and not w.isdigit()]
    return out[:top]


def score(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb) * 100


def rank(target: list[str], candidates: Iterable[Any], *, attr: str = "keywords", limit: int = 5,
         minimum: float = 1.0) -> list[tuple[Any, float, list[str]]]:
    """Candidates ordered by overlap with ``target``, with the shared keywords (shown as the reason)."""
    scored = []
    for c in candidates:
        words = getattr(c, attr) or []
        s = score(target, words)
        if s >= minimum:
            scored.append((c, round(s, 1), sorted(set(target) & set(words))))
    scored.sort(key=lambda t: (-t[1], getattr(t[0], "pk", 0)))
    return scored[:limit]
