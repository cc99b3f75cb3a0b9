"""The engine: a rule set plus a bounded cache of its compiled forms, one per evaluation date.

No module-level state: the cache lives on the :class:`Engine` (or in a :class:`CompileCache` the caller
owns and may share between engines, e.g. one per Django process).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from rulebook.compile_polars import BatchPlan, col_name
from rulebook.explain import min_fix, rule_leaves_text
from rulebook.interpret import CompiledRuleSet, Result
from rulebook.model import Leaf, Rule, RuleSet, ScoredTable
from rulebook.values import parse_date


class CompileCache:
    """A thread-safe LRU of compiled rule sets keyed by (rule-set fingerprint, evaluation date)."""

    def __init__(self, maxsize: int = 32) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[str, dt.date], tuple[CompiledRuleSet, BatchPlan]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, ruleset: RuleSet, as_of: dt.date) -> tuple[CompiledRuleSet, BatchPlan]:
        """The compiled pair for ``(ruleset, as_of)``, compiling (and validating) on a miss."""
        key = (ruleset.fingerprint, as_of)
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                self.hits += 1
                return hit
        compiled = CompiledRuleSet(ruleset, as_of)
        entry = (compiled, BatchPlan(compiled))
        with self._lock:
            self.misses += 1
            self._data[key] = entry
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def _date(as_of: dt.date | str) -> dt.date:
    return parse_date(as_of)


class Engine:
    """Evaluate one rule set: a person (interpreter, with explanation) or a table (polars batch).

    >>> engine = Engine(RuleSet.from_file("rules.json"))          # doctest: +SKIP
    >>> result = engine.evaluate({"education": "博士", ...}, as_of=date(2024, 8, 1))  # doctest: +SKIP
    >>> result["living_allowance"].amount, result.explain().render(), result.missing()  # doctest: +SKIP
    """

    def __init__(self, ruleset: RuleSet, *, cache: CompileCache | None = None, cache_size: int = 16) -> None:
        self.ruleset = ruleset
        self.cache = cache if cache is not None else CompileCache(cache_size)
        _ = ruleset.fingerprint  # the cache key, fixed now (computed on first use, usually right after parsing)

    def compiled(self, as_of: dt.date | str) -> CompiledRuleSet:
        """The rule set compiled for ``as_of`` (validated; raises :class:`RuleSetError` if invalid)."""
        return self.cache.get(self.ruleset, _date(as_of))[0]

    def batch(self, as_of: dt.date | str) -> BatchPlan:
        """The batch plan (polars expressions) for ``as_of``."""
        return self.cache.get(self.ruleset, _date(as_of))[1]

    def evaluate(self, person: Mapping[str, Any], *, as_of: dt.date | str, strict: bool = False) -> Result:
        """Evaluate every rule for one person → :class:`Result` (``.explain()``, ``.missing()``).

        ``person`` maps attribute names to plain values (``date`` or ISO strings, ``Decimal``/str/float for
        decimals, enum member strings, lists for sets); absent attributes are missing. With ``strict``,
        unknown keys raise :class:`DataError`.
        """
        return self.compiled(as_of).evaluate(person, strict=strict)

    def evaluate_frame(
        self, df: pl.DataFrame, *, as_of: dt.date | str, masks: bool = False, keep: Sequence[str] = ()
    ) -> pl.DataFrame:
        """Evaluate every rule for every row. Columns per rule: ``<id>.eligible``, ``<id>.amount`` (Int64 fen),
        ``<id>.points``/``<id>.tier`` where defined and, with ``masks``, ``<id>.mask`` (failed leaves)."""
        return self.batch(as_of).evaluate(df, masks=masks, keep=keep)

    def near_misses(
        self, df: pl.DataFrame, *, as_of: dt.date | str, max_missing: int = 1, id_column: str | None = None,
        lang: str = "zh", result: pl.DataFrame | None = None,
    ) -> pl.DataFrame:  # fmt: skip
        """Persons who are not eligible for a rule but at most ``max_missing`` conditions short.

        Returns one row per (person, rule): ``row`` (or ``id_column``), ``rule``, ``missing`` (count) and
        ``conditions`` (labels of the smallest set of failed conditions), computed from failed-condition masks.
        ``result`` is ``evaluate_frame(df, as_of=as_of, masks=True)`` when the caller already has it (one
        evaluation instead of two); without it the frame is evaluated here.
        """
        compiled = self.compiled(as_of)
        if result is None:
            result = self.batch(as_of).evaluate(df, masks=True)
        elif len(result) != len(df):
            raise ValueError("result must be evaluate_frame(df, masks=True) of the same frame")
        ids = df[id_column] if id_column else pl.Series("row", range(len(df)), dtype=pl.Int64)
        frames = []
        for rule in compiled.ruleset.rules:
            if not isinstance(rule, Rule | ScoredTable) or not compiled.in_force[rule.id]:
                continue
            mask_col = col_name(rule.id, "mask")
            if mask_col not in result.columns:
                continue
            labels = rule_leaves_text(compiled, rule, lang)
            sub = pl.DataFrame(
                {"id": ids, "mask": result[mask_col], "eligible": result[col_name(rule.id, "eligible")]}
            )
            sub = sub.filter(~pl.col("eligible") & (pl.col("mask") != 0))
            fixes: dict[int, tuple[int, list[str]]] = {}
            for m in sub["mask"].unique().to_list():
                fixes[m] = _fix_from_mask(rule, int(m), labels)
            if not fixes:
                continue
            keys = list(fixes)
            sub = sub.with_columns(
                pl.col("mask")
                .replace_strict(keys, [fixes[k][0] for k in keys], return_dtype=pl.Int64)
                .alias("missing"),
                pl.col("mask")
                .replace_strict(keys, [fixes[k][1] for k in keys], return_dtype=pl.List(pl.String))
                .alias("conditions"),
            ).filter(pl.col("missing") <= max_missing)
            frames.append(
                sub.select(
                    pl.col("id").alias(id_column or "row"),
                    pl.lit(rule.id).alias("rule"),
                    "missing",
                    "conditions",
                )
            )
        if not frames:
            return pl.DataFrame(schema={id_column or "row": ids.dtype, "rule": pl.String, "missing": pl.Int64,
                                        "conditions": pl.List(pl.String)})  # fmt: skip
        return pl.concat(frames)


def _fix_from_mask(rule: Rule | ScoredTable, mask: int, labels: list[str]) -> tuple[int, list[str]]:
    def failed(leaf: Leaf) -> bool:
        return bool(mask >> leaf.leaf & 1)

    root = rule.when if isinstance(rule, Rule) else rule.prerequisites
    cost, leaves = min_fix(root, failed) if root is not None else (0, [])
    texts = [labels[lf.leaf] for lf in leaves]
    if isinstance(rule, ScoredTable) and mask >> len(rule.leaves) & 1:
        cost += 1
        texts.append(labels[-1])
    return cost, texts
