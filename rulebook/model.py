"""The rule set: attribute catalogue, effective-dated parameters and rules, parsed into a typed tree.

:class:`RuleSet` is built from the JSON document (see docs/rules.md and ``schema/rules.schema.json``).
Parsing is lenient: every problem found (structure, unknown attribute, type mismatch, …) is recorded as an
:class:`~rulebook.errors.Issue` with the JSON path of the faulty node, and :meth:`RuleSet.validate` returns
them together with the semantic checks of :mod:`rulebook.validate`. Evaluating an invalid rule set raises
:class:`~rulebook.errors.RuleSetError`.

The parsed tree is the single source both evaluators compile from: the interpreter
(:mod:`rulebook.interpret`) and the polars batch compiler (:mod:`rulebook.compile_polars`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rulebook.errors import Issue, IssueCode, RuleSetError, make_issue
from rulebook.values import (
    date_to_days,
    days_to_date,
    decimal_places,
    decimal_to_scaled,
    parse_date,
    to_decimal,
)

# --------------------------------------------------------------------------------------------- types

TYPE_KINDS = ("bool", "int", "money", "decimal", "date", "enum", "ordered_enum", "enum_set")
NUMERIC = ("int", "money", "decimal")
MAX_LEAVES = 64


@dataclass(frozen=True, slots=True)
class VType:
    """A value type. ``scale`` is the number of decimals (decimal); ``values`` the members (enums)."""

    kind: str
    scale: int = 0
    values: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def family(self) -> str:
        """Comparable families: money only with money; int and decimal are both "number"."""
        if self.kind in ("int", "decimal"):
            return "number"
        return self.kind

    @property
    def ordered(self) -> bool:
        return self.kind in ("int", "money", "decimal", "date", "ordered_enum")

    def describe(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.scale})"
        if self.kind in ("enum", "ordered_enum", "enum_set"):
            return f"{self.kind}[{', '.join(self.values)}]"
        return self.kind


BOOL = VType("bool")
INT = VType("int")
MONEY = VType("money")
DATE = VType("date")


def number_type(scale: int) -> VType:
    return INT if scale == 0 else VType("decimal", scale)


@dataclass(frozen=True, slots=True)
class Text:
    """A label in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class LegalRef:
    """Where the rule comes from: the policy document and its article."""

    document: str
    article: str = ""
    url: str = ""

    def __str__(self) -> str:
        return f"{self.document} {self.article}".strip()


@dataclass(frozen=True, slots=True)
class Attribute:
    """One entry of the attribute catalogue."""

    name: str
    type: VType
    label: Text
    unit: Text | None
    path: str
    value_labels_en: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParamValue:
    """A parameter value in force from ``start`` (days since epoch; ``None`` value = repealed)."""

    start: int
    start_date: dt.date
    value: Any
    raw: Any
    path: str


@dataclass(frozen=True, slots=True)
class Parameter:
    """A named, effective-dated parameter (e.g. the monthly allowance)."""

    name: str
    type: VType
    label: Text
    unit: Text | None
    values: tuple[ParamValue, ...]
    path: str

    def value_at(self, day: int) -> ParamValue | None:
        """The value in force on ``day`` (days since epoch), or ``None`` if there is none."""
        found: ParamValue | None = None
        for pv in self.values:
            if pv.start <= day:
                found = pv
            else:
                break
        if found is None or found.value is None:
            return None
        return found


# --------------------------------------------------------------------------------------------- value nodes


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """Base of every tree node: ``nid`` indexes the per-evaluation value array; ``path`` is the JSON path."""

    nid: int
    path: str


@dataclass(frozen=True, slots=True, eq=False)
class Value(Node):
    type: VType


@dataclass(frozen=True, slots=True, eq=False)
class AttrRef(Value):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Const(Value):
    value: Any


@dataclass(frozen=True, slots=True, eq=False)
class ParamRef(Value):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class AsOf(Value):
    pass


@dataclass(frozen=True, slots=True, eq=False)
class Scale(Value):
    """Multiply a scaled integer by ``factor`` (aligning decimals; invisible in explanations)."""

    child: Value
    factor: int


@dataclass(frozen=True, slots=True, eq=False)
class Arith(Value):
    """``add``/``sub``/``min``/``max`` over aligned args; ``mul``/``div`` with an exact rounding step.

    mul: ``round(prod(args) / post_div)``; div: ``round(a * num_mul / (b * den_mul))`` (``None`` if b is 0).
    """

    op: str
    args: tuple[Value, ...]
    post_div: int = 1
    num_mul: int = 1
    den_mul: int = 1


@dataclass(frozen=True, slots=True, eq=False)
class DateFn(Value):
    """``years_between``/``months_between``/``days_between`` of two dates (``age`` is years to as-of)."""

    fn: str
    args: tuple[Value, Value]
    alias: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class Case(Value):
    """First branch whose condition is TRUE; an unknown condition does not match (falls through)."""

    branches: tuple[tuple[Cond, Value], ...]
    default: Value


# --------------------------------------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True, eq=False)
class Cond(Node):
    """A condition. Leaves carry ``leaf`` (bit index in the rule's failed-condition mask, -1 if not a leaf
    of the rule) and ``polarity`` (False under an odd number of ``not``: the rule needs the leaf false)."""

    label: Text | None
    cid: str | None


@dataclass(frozen=True, slots=True, eq=False)
class AllOf(Cond):
    children: tuple[Cond, ...]


@dataclass(frozen=True, slots=True, eq=False)
class AnyOf(Cond):
    children: tuple[Cond, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Not(Cond):
    child: Cond


@dataclass(frozen=True, slots=True, eq=False)
class Leaf(Cond):
    leaf: int
    polarity: bool


@dataclass(frozen=True, slots=True, eq=False)
class Cmp(Leaf):
    op: str
    left: Value
    right: Value


@dataclass(frozen=True, slots=True, eq=False)
class InSet(Leaf):
    value: Value
    codes: frozenset[int]
    negate: bool
    shown: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Between(Leaf):
    value: Value
    lo: Value
    hi: Value
    lo_incl: bool
    hi_incl: bool


@dataclass(frozen=True, slots=True, eq=False)
class SetTest(Leaf):
    value: Value
    mask: int
    mode: str  # has_any | has_all | has_none
    shown: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Truth(Leaf):
    value: Value


@dataclass(frozen=True, slots=True, eq=False)
class Known(Leaf):
    value: Value


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Leaf):
    value: bool


# --------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True, eq=False)
class RuleBase:
    """What every kind of rule has: identity, provenance, effective dates and exclusions."""

    id: str
    title: Text
    legal: LegalRef | None
    path: str
    position: int
    effective_from: int | None
    effective_to: int | None
    overrides: tuple[str, ...]
    excluded_by: tuple[str, ...]
    not_together_with: tuple[str, ...]
    leaves: tuple[Leaf, ...]
    attributes: frozenset[str]
    parameters: frozenset[str]

    kind: str = "rule"

    @property
    def has_points(self) -> bool:
        return False

    @property
    def has_tier(self) -> bool:
        return False

    def in_force(self, day: int) -> bool:
        """Whether the rule applies on ``day`` (days since epoch)."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        return not (self.effective_to is not None and day > self.effective_to)


@dataclass(frozen=True, slots=True, eq=False)
class Rule(RuleBase):
    """A plain rule: condition tree and outputs."""

    when: Cond | None = None
    amount: Value | None = None
    points: Value | None = None
    tier: str | None = None

    @property
    def has_points(self) -> bool:
        return self.points is not None

    @property
    def has_tier(self) -> bool:
        return self.tier is not None


@dataclass(frozen=True, slots=True, eq=False)
class Band:
    """One band of a scored indicator: an interval (ordered types) or a set of codes (enums, bool)."""

    cond: Cond
    points: int
    path: str
    lo: int | None = None
    lo_incl: bool = True
    hi: int | None = None
    hi_incl: bool = True
    codes: frozenset[int] | None = None
    label: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class Indicator:
    id: str
    label: Text
    group: str | None
    input: Value
    bands: tuple[Band, ...]
    path: str
    nid: int

    @property
    def max_points(self) -> int:
        return max((b.points for b in self.bands), default=0)


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    id: str
    label: Text
    min: int
    path: str


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """A direct-qualification route that bypasses the score."""

    id: str
    label: Text
    when: Cond
    leaves: tuple[Leaf, ...]
    path: str


@dataclass(frozen=True, slots=True, eq=False)
class ScoredTable(RuleBase):
    """Banded indicators → points, group minimums, a threshold and direct routes (e.g. 专精特新)."""

    prerequisites: Cond | None = None
    indicators: tuple[Indicator, ...] = ()
    groups: tuple[Group, ...] = ()
    threshold: int = 0
    routes: tuple[Route, ...] = ()
    amount: Value | None = None
    tier: str | None = None

    @property
    def has_points(self) -> bool:
        return True

    @property
    def has_tier(self) -> bool:
        return self.tier is not None


@dataclass(frozen=True, slots=True, eq=False)
class TableInput:
    id: str
    label: Text
    value: Value


@dataclass(frozen=True, slots=True, eq=False)
class Row:
    cells: tuple[Cond | None, ...]
    cond: Cond
    leaves: tuple[Leaf, ...]
    tier: str | None
    amount: Value | None
    points: Value | None
    label: Text | None
    path: str
    regions: tuple[Any, ...]


@dataclass(frozen=True, slots=True, eq=False)
class DecisionTable(RuleBase):
    """Rows of cell tests over input columns; hit policy ``first`` (tiers) or ``collect`` (sums)."""

    inputs: tuple[TableInput, ...] = ()
    rows: tuple[Row, ...] = ()
    hit_policy: str = "first"
    tiers: tuple[str, ...] = ()

    @property
    def has_points(self) -> bool:
        return any(r.points is not None for r in self.rows)

    @property
    def has_tier(self) -> bool:
        return any(r.tier is not None for r in self.rows)


AnyRule = Rule | ScoredTable | DecisionTable


# --------------------------------------------------------------------------------------------- RuleSet


class RuleSet:
    """A versioned rule set parsed from its JSON document.

    Build it with :meth:`from_json`, :meth:`from_dict` or :meth:`from_file`; check it with :meth:`validate`;
    evaluate it with an :class:`rulebook.Engine`. A ``RuleSet`` is immutable; a reform produces a new one.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document: Mapping[str, Any] = document
        parser = _Parser()
        parser.parse(document)
        self.id: str = parser.set_id
        self.version: str = parser.version
        self.title: Text = parser.title
        self.attributes: dict[str, Attribute] = parser.attributes
        self.parameters: dict[str, Parameter] = parser.parameters
        self.rules: tuple[AnyRule, ...] = tuple(parser.rules)
        self.rules_by_id: dict[str, AnyRule] = {r.id: r for r in self.rules}
        self.node_count: int = parser.nid
        self.parse_issues: tuple[Issue, ...] = tuple(parser.issues)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A content hash of the document (the compile caches' key), computed on first use."""
        canonical = json.dumps(self.document, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    # ---- construction
    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> RuleSet:
        """Parse a rule set from an already-decoded JSON object (floats are taken by their shortest repr)."""
        return cls(document)

    @classmethod
    def from_json(cls, text: str | bytes) -> RuleSet:
        """Parse a rule set from JSON text; numbers with a fraction are read exactly as ``Decimal``."""
        return cls(load_json(text))

    @classmethod
    def from_file(cls, path: str | Path) -> RuleSet:
        """Read and parse a rule set file (UTF-8 JSON)."""
        return cls(load_json_file(path))

    # ---- checks
    def validate(self, as_of: dt.date | None = None) -> list[Issue]:
        """All problems of this rule set (empty list: ready to publish).

        With ``as_of``, also checks that every parameter used by a rule in force on that date has a value.
        """
        from rulebook.validate import semantic_issues

        return list(self.parse_issues) + semantic_issues(self, as_of)

    def check(self, as_of: dt.date | None = None) -> None:
        """Raise :class:`RuleSetError` with every issue if :meth:`validate` finds any."""
        issues = self.validate(as_of)
        if issues:
            raise RuleSetError(issues)

    def __repr__(self) -> str:
        return f"RuleSet(id={self.id!r}, version={self.version!r}, rules={len(self.rules)})"


def load_json(text: str | bytes) -> Any:
    """Decode JSON with exact decimals; a syntax error becomes a :class:`RuleSetError` with line/column."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise RuleSetError(
            [make_issue(IssueCode.INVALID_JSON, f"line {exc.lineno}, column {exc.colno}", detail=exc.msg)]
        ) from None
    except UnicodeDecodeError as exc:
        raise RuleSetError([make_issue(IssueCode.INVALID_JSON, "$", detail=str(exc))]) from None


def load_json_file(path: str | Path) -> Any:
    """Read a JSON file; unreadable files raise :class:`RuleSetError` (code ``bad_file``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RuleSetError(
            [make_issue(IssueCode.BAD_FILE, str(path), detail=exc.strerror or str(exc))]
        ) from None
    try:
        return load_json(data)
    except RuleSetError as exc:
        issue = exc.issue
        raise RuleSetError([Issue(issue.code, f"{path}: {issue.path}", issue.zh, issue.en)]) from None


# --------------------------------------------------------------------------------------------- parser

_CMP_OPS = ("==", "!=", "<", "<=", ">", ">=")
_BOOL_KEYS = (
    "all",
    "any",
    "not",
    *_CMP_OPS,
    "in",
    "not_in",
    "between",
    "has_any",
    "has_all",
    "has_none",
    "known",
)
_VALUE_KEYS = (
    "attr", "param", "const", "as_of", "add", "sub", "mul", "div", "min", "max",
    "age", "years_between", "months_between", "days_between", "case",
)  # fmt: skip
_BOOL_KEY_SET = frozenset(_BOOL_KEYS)  # membership tests (the tuples give the order of error messages)
_VALUE_KEY_SET = frozenset(_VALUE_KEYS)
_NOT_IN_IDENT = frozenset(" ./\"'")
_INCLUSIVE = {"both": (True, True), "neither": (False, False), "left": (True, False), "right": (False, True)}


class _Invalid(Exception):
    """Raised inside the parser to abandon a node after its issue was recorded."""


def _is_literal(obj: Any) -> bool:
    return obj is None or isinstance(obj, (bool, int, float, Decimal, str, list))


class _Parser:
    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.nid = 0
        self.set_id = ""
        self.version = ""
        self.title = Text("", "")
        self.attributes: dict[str, Attribute] = {}
        self.parameters: dict[str, Parameter] = {}
        self.rules: list[AnyRule] = []
        # per-rule collectors
        self._leaves: list[Leaf] | None = None
        self._attrs: set[str] = set()
        self._params: set[str] = set()
        self._days: dict[str, int] = {}

    # ---- helpers
    def issue(self, code: IssueCode, path: str, **params: Any) -> None:
        self.issues.append(make_issue(code, path, **params))

    def fail(self, code: IssueCode, path: str, **params: Any) -> _Invalid:
        self.issue(code, path, **params)
        return _Invalid()

    def next_id(self) -> int:
        self.nid += 1
        return self.nid - 1

    def text(self, obj: Any, path: str, *, required: bool = True) -> Text | None:
        if obj is None and not required:
            return None
        if isinstance(obj, str):
            return Text(obj, obj)
        if (type(obj) is dict or isinstance(obj, Mapping)) and isinstance(obj.get("zh"), str):
            en = obj.get("en")
            return Text(obj["zh"], en if isinstance(en, str) else obj["zh"])
        self.issue(IssueCode.STRUCTURE, path, detail='expected {"zh": …, "en": …}')
        return Text("?", "?") if required else None

    def obj(self, obj: Any, path: str) -> Mapping[str, Any]:
        if type(obj) is dict:  # the common case, without the (slow) abstract-class check
            return obj
        if not isinstance(obj, Mapping):
            raise self.fail(IssueCode.STRUCTURE, path, detail="expected an object")
        return obj

    def lst(self, obj: Any, path: str) -> Sequence[Any]:
        if not isinstance(obj, list):
            raise self.fail(IssueCode.STRUCTURE, path, detail="expected a list")
        return obj

    def ident(self, obj: Any, path: str) -> str:
        if not isinstance(obj, str) or not obj or not _NOT_IN_IDENT.isdisjoint(obj):
            raise self.fail(
                IssueCode.STRUCTURE, path, detail="expected an identifier (no spaces, dots or slashes)"
            )
        return obj

    def date_days(self, obj: Any, path: str) -> int:
        memo = type(obj) is str  # the same few dates recur (parameter changes): parsed once per document
        if memo and obj in self._days:
            return self._days[obj]
        try:
            days = date_to_days(parse_date(obj))
        except (ValueError, TypeError):
            raise self.fail(IssueCode.BAD_LITERAL, path, detail=f"{obj!r} is not a date YYYY-MM-DD") from None
        if memo:
            self._days[obj] = days
        return days

    # ---- document
    def parse(self, doc: Any) -> None:
        try:
            doc = self.obj(doc, "$")
        except _Invalid:
            return
        known = {"id", "version", "title", "attributes", "parameters", "rules", "description", "$schema"}
        for key in doc:
            if key not in known:
                self.issue(IssueCode.STRUCTURE, f"$.{key}", detail=f"unknown key '{key}'")
        self.set_id = str(doc.get("id", ""))
        self.version = str(doc.get("version", ""))
        if not self.set_id:
            self.issue(IssueCode.STRUCTURE, "$.id", detail="the rule set needs an id")
        if not self.version:
            self.issue(IssueCode.STRUCTURE, "$.version", detail="the rule set needs a version")
        self.title = self.text(doc.get("title", self.set_id), "$.title") or Text("", "")
        try:
            for name, spec in self.obj(doc.get("attributes", {}), "$.attributes").items():
                self.attribute(name, spec, f"$.attributes.{name}")
        except _Invalid:
            pass
        try:
            for name, spec in self.obj(doc.get("parameters", {}), "$.parameters").items():
                self.parameter(name, spec, f"$.parameters.{name}")
        except _Invalid:
            pass
        try:
            rules = self.lst(doc.get("rules", []), "$.rules")
        except _Invalid:
            return
        seen: set[str] = set()
        for i, spec in enumerate(rules):
            path = f"$.rules[{i}]"
            try:
                rule = self.rule(spec, path, i)
            except _Invalid:
                continue
            if rule.id in seen:
                self.issue(IssueCode.DUPLICATE_ID, f"{path}.id", name=rule.id)
                continue
            seen.add(rule.id)
            self.rules.append(rule)

    def vtype(self, spec: Mapping[str, Any], path: str) -> VType:
        kind = spec.get("type")
        if kind not in TYPE_KINDS:
            raise self.fail(
                IssueCode.STRUCTURE, f"{path}.type", detail=f"type must be one of {', '.join(TYPE_KINDS)}"
            )
        if kind == "decimal":
            scale = spec.get("scale", 4)
            if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= 9:
                raise self.fail(IssueCode.STRUCTURE, f"{path}.scale", detail="scale must be an integer 0..9")
            return VType("decimal", scale)
        if kind in ("enum", "ordered_enum", "enum_set"):
            values = spec.get("values")
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) for v in values)
                or len(set(values)) != len(values)
            ):
                raise self.fail(
                    IssueCode.STRUCTURE, f"{path}.values", detail="expected a list of distinct strings"
                )
            if kind == "enum_set" and len(values) > 63:
                raise self.fail(
                    IssueCode.STRUCTURE, f"{path}.values", detail="a set type has at most 63 members"
                )
            return VType(kind, 0, tuple(values))
        return VType(kind)

    def attribute(self, name: str, spec: Any, path: str) -> None:
        try:
            name = self.ident(name, path)
            spec = self.obj(spec, path)
            vt = self.vtype(spec, path)
        except _Invalid:
            return
        label = self.text(spec.get("label", name), f"{path}.label") or Text(name, name)
        unit = self.text(spec.get("unit"), f"{path}.unit", required=False)
        vl = spec.get("value_labels_en", {})
        self.attributes[name] = Attribute(
            name, vt, label, unit, path, dict(vl) if isinstance(vl, Mapping) else {}
        )

    def parameter(self, name: str, spec: Any, path: str) -> None:
        try:
            name = self.ident(name, path)
            spec = self.obj(spec, path)
            vt = self.vtype(spec, path)
            raw_values = self.lst(spec.get("values"), f"{path}.values")
        except _Invalid:
            return
        values: list[ParamValue] = []
        for i, entry in enumerate(raw_values):
            vpath = f"{path}.values[{i}]"
            try:
                entry = self.obj(entry, vpath)
                start = self.date_days(entry.get("from"), f"{vpath}.from")
                raw = entry.get("value")
                value = None if raw is None else self.literal(raw, vt, f"{vpath}.value")
            except _Invalid:
                continue
            if values and start <= values[-1].start:
                self.issue(IssueCode.STRUCTURE, f"{vpath}.from", detail="dates must be strictly increasing")
                continue
            values.append(ParamValue(start, days_to_date(start), value, raw, vpath))
        if not values:
            self.issue(
                IssueCode.STRUCTURE, f"{path}.values", detail="a parameter needs at least one dated value"
            )
        label = self.text(spec.get("label", name), f"{path}.label") or Text(name, name)
        unit = self.text(spec.get("unit"), f"{path}.unit", required=False)
        self.parameters[name] = Parameter(name, vt, label, unit, tuple(values), path)

    # ---- literals
    def literal(self, raw: Any, vt: VType, path: str) -> Any:
        """A literal as the internal value of type ``vt`` (see rulebook.values)."""
        kind = vt.kind
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
        elif kind in ("int", "money"):
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            if kind == "money":
                raise self.fail(
                    IssueCode.BAD_LITERAL, path, detail=f"{raw!r}: money is an integer number of fen"
                )
        elif kind == "decimal":
            try:
                d = to_decimal(raw)
            except ValueError:
                pass
            else:
                if decimal_places(d) > vt.scale:
                    raise self.fail(
                        IssueCode.BAD_LITERAL, path, detail=f"{raw} has more than {vt.scale} decimals"
                    )
                return decimal_to_scaled(d, vt.scale)
        elif kind == "date":
            return self.date_days(raw, path)
        elif kind in ("enum", "ordered_enum"):
            if isinstance(raw, str) and raw in vt.values:
                return vt.values.index(raw)
            raise self.fail(
                IssueCode.BAD_LITERAL, path, detail=f"{raw!r} is not one of {', '.join(vt.values)}"
            )
        elif kind == "enum_set":
            if isinstance(raw, list) and all(isinstance(v, str) and v in vt.values for v in raw):
                mask = 0
                for v in raw:
                    mask |= 1 << vt.values.index(v)
                return mask
            raise self.fail(
                IssueCode.BAD_LITERAL, path, detail=f"{raw!r} is not a list of {', '.join(vt.values)}"
            )
        raise self.fail(IssueCode.TYPE_MISMATCH, path, detail=f"{raw!r} is not a {vt.describe()}")

    def const(self, raw: Any, expected: VType | None, path: str) -> Const:
        if expected is None:
            if isinstance(raw, bool):
                expected = BOOL
            elif isinstance(raw, int):
                expected = INT
            elif isinstance(raw, (float, Decimal)) or (isinstance(raw, str) and _looks_numeric(raw)):
                expected = number_type(decimal_places(to_decimal(raw)))
            else:
                raise self.fail(
                    IssueCode.TYPE_MISMATCH, path,
                    detail=f"cannot tell the type of {raw!r}: compare it with an attribute or parameter",
                )  # fmt: skip
        elif expected.family == "number":
            # numbers keep their own exact scale; comparisons and arithmetic align scales
            try:
                d = to_decimal(raw)
            except ValueError:
                raise self.fail(IssueCode.TYPE_MISMATCH, path, detail=f"{raw!r} is not a number") from None
            expected = number_type(decimal_places(d))
            if expected.kind == "int" and not isinstance(raw, int):  # "0", "2.0" next to a decimal
                return Const(self.next_id(), path, expected, int(d))
        return Const(self.next_id(), path, expected, self.literal(raw, expected, path))

    # ---- values
    def value(self, obj: Any, path: str, expected: VType | None = None) -> Value:
        if _is_literal(obj):
            if isinstance(obj, list):
                raise self.fail(IssueCode.STRUCTURE, path, detail="a list is not a value here")
            return self.const(obj, expected, path)
        spec = self.obj(obj, path)
        keys = [k for k in spec if k in _VALUE_KEY_SET]
        if len(keys) != 1:
            raise self.fail(IssueCode.STRUCTURE, path, detail=f"expected one of {', '.join(_VALUE_KEYS)}")
        key = keys[0]
        arg = spec[key]
        apath = f"{path}.{key}"
        if key == "attr":
            name = arg if isinstance(arg, str) else ""
            attr = self.attributes.get(name)
            if attr is None:
                raise self.fail(IssueCode.UNKNOWN_ATTRIBUTE, apath, name=arg)
            self._attrs.add(name)
            return AttrRef(self.next_id(), path, attr.type, name)
        if key == "param":
            name = arg if isinstance(arg, str) else ""
            param = self.parameters.get(name)
            if param is None:
                raise self.fail(IssueCode.UNKNOWN_PARAMETER, apath, name=arg)
            self._params.add(name)
            return ParamRef(self.next_id(), path, param.type, name)
        if key == "const":
            return self.const(arg, expected, apath)
        if key == "as_of":
            return AsOf(self.next_id(), path, DATE)
        if key in ("add", "sub", "min", "max", "mul", "div"):
            return self.arith(key, arg, spec, path, expected)
        if key == "age":
            a = self.date_value(arg, apath)
            return DateFn(
                self.next_id(), path, INT, "years_between", (a, AsOf(self.next_id(), apath, DATE)), "age"
            )
        if key in ("years_between", "months_between", "days_between"):
            items = self.lst(arg, apath)
            if len(items) != 2:
                raise self.fail(IssueCode.STRUCTURE, apath, detail="expected two dates")
            a = self.date_value(items[0], f"{apath}[0]")
            b = self.date_value(items[1], f"{apath}[1]")
            return DateFn(self.next_id(), path, INT, key, (a, b))
        # case
        branches_raw = self.lst(arg, apath)
        if "else" not in spec:
            raise self.fail(IssueCode.STRUCTURE, path, detail="a case needs an 'else' value")
        parsed: list[tuple[Cond, Any, str]] = []
        for i, br in enumerate(branches_raw):
            bpath = f"{apath}[{i}]"
            br = self.obj(br, bpath)
            if "when" not in br or "then" not in br:
                raise self.fail(IssueCode.STRUCTURE, bpath, detail="a branch needs 'when' and 'then'")
            parsed.append((self.cond_detached(br["when"], f"{bpath}.when"), br["then"], f"{bpath}.then"))
        raw_outs = [(b[1], b[2]) for b in parsed] + [(spec["else"], f"{path}.else")]
        outs = self.unify([r for r, _ in raw_outs], [p for _, p in raw_outs], expected, "case")
        return Case(
            self.next_id(), path, outs[0].type,
            tuple((parsed[i][0], outs[i]) for i in range(len(parsed))), outs[-1],
        )  # fmt: skip

    def date_value(self, obj: Any, path: str) -> Value:
        v = self.value(obj, path, DATE)
        if v.type.kind != "date":
            raise self.fail(IssueCode.TYPE_MISMATCH, path, detail=f"expected a date, got {v.type.describe()}")
        return v

    def unify(
        self, raws: Sequence[Any], paths: Sequence[str], expected: VType | None, what: str
    ) -> list[Value]:
        """Parse values that must share one type (add/sub/min/max/case); literals take the others' type."""
        parsed: list[Value | None] = [None] * len(raws)
        anchor = expected
        for i, raw in enumerate(raws):
            if not _is_literal(raw) and not (isinstance(raw, Mapping) and "const" in raw):
                v = self.value(raw, paths[i])
                parsed[i] = v
                if anchor is None or (anchor.family == "number" and v.type.kind == "money"):
                    anchor = v.type
        for i, raw in enumerate(raws):
            if parsed[i] is None:
                parsed[i] = self.value(raw, paths[i], anchor)
        values = [v for v in parsed if v is not None]
        fam = values[0].type.family
        for v in values[1:]:
            if v.type.family != fam or (v.type.values != values[0].type.values):
                raise self.fail(
                    IssueCode.TYPE_MISMATCH, v.path,
                    detail=f"{what} mixes {values[0].type.describe()} and {v.type.describe()}",
                )  # fmt: skip
        if fam == "number":
            scale = max(v.type.scale for v in values)
            return [self.aligned(v, scale) for v in values]
        return values

    def aligned(self, v: Value, scale: int) -> Value:
        if v.type.family != "number" or v.type.scale == scale:
            return v
        return Scale(self.next_id(), v.path, number_type(scale), v, 10 ** (scale - v.type.scale))

    def arith(self, op: str, arg: Any, spec: Mapping[str, Any], path: str, expected: VType | None) -> Value:
        apath = f"{path}.{op}"
        items = self.lst(arg, apath)
        if len(items) < 2 or (op in ("sub", "div") and len(items) != 2):
            raise self.fail(
                IssueCode.STRUCTURE,
                apath,
                detail=f"'{op}' needs {'two' if op in ('sub', 'div') else 'two or more'} values",
            )
        paths = [f"{apath}[{i}]" for i in range(len(items))]
        if op in ("add", "sub", "min", "max"):
            args = self.unify(items, paths, expected if expected and expected.numeric else None, op)
            t = args[0].type
            if not t.numeric:
                raise self.fail(
                    IssueCode.TYPE_MISMATCH, apath, detail=f"'{op}' needs numbers, got {t.describe()}"
                )
            return Arith(self.next_id(), path, t, op, tuple(args))
        args = [self.value(raw, p) for raw, p in zip(items, paths, strict=True)]
        for a in args:
            if not a.type.numeric:
                raise self.fail(
                    IssueCode.TYPE_MISMATCH, a.path, detail=f"'{op}' needs numbers, got {a.type.describe()}"
                )
        if op == "mul":
            moneys = [a for a in args if a.type.kind == "money"]
            if len(moneys) > 1:
                raise self.fail(IssueCode.TYPE_MISMATCH, apath, detail="money × money has no meaning")
            total_scale = sum(a.type.scale for a in args)
            out = MONEY if moneys else number_type(min(total_scale, 9))
            return Arith(
                self.next_id(), path, out, "mul", tuple(args), post_div=10 ** (total_scale - out.scale)
            )
        a, b = args
        if b.type.kind == "money" and a.type.kind != "money":
            raise self.fail(IssueCode.TYPE_MISMATCH, apath, detail="a number divided by money has no meaning")
        if a.type.kind == "money" and b.type.kind != "money":
            out = MONEY
        else:
            s = spec.get("scale", 6)
            if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s <= 9:
                raise self.fail(IssueCode.STRUCTURE, f"{path}.scale", detail="scale must be an integer 0..9")
            out = number_type(s)
        k = b.type.scale + out.scale - a.type.scale
        num_mul, den_mul = (10**k, 1) if k >= 0 else (1, 10 ** (-k))
        return Arith(self.next_id(), path, out, "div", (a, b), num_mul=num_mul, den_mul=den_mul)

    # ---- conditions
    def cond_detached(self, obj: Any, path: str) -> Cond:
        """A condition that is not part of the rule's failed-condition mask (case branches, bands)."""
        saved = self._leaves
        self._leaves = None
        try:
            return self.cond(obj, path, True)
        finally:
            self._leaves = saved

    def leaf_index(self, path: str) -> int:
        if self._leaves is None:
            return -1
        return len(self._leaves)

    def register(self, leaf: Leaf) -> Leaf:
        if self._leaves is not None:
            self._leaves.append(leaf)
        return leaf

    def cond(self, obj: Any, path: str, polarity: bool) -> Cond:
        if isinstance(obj, bool):
            return self.register(
                Literal(self.next_id(), path, None, None, self.leaf_index(path), polarity, obj)
            )
        spec = self.obj(obj, path)
        label = self.text(spec["label"], f"{path}.label", required=False) if "label" in spec else None
        cid = spec.get("id") if isinstance(spec.get("id"), str) else None
        keys = [k for k in spec if k in _BOOL_KEY_SET]
        if not keys:
            if any(k in spec for k in ("attr", "param")):
                v = self.value(spec, path)
                if v.type.kind != "bool":
                    raise self.fail(
                        IssueCode.TYPE_MISMATCH, path, detail=f"{v.type.describe()} used as a condition"
                    )
                return self.register(
                    Truth(self.next_id(), path, label, cid, self.leaf_index(path), polarity, v)
                )
            raise self.fail(IssueCode.STRUCTURE, path, detail=f"expected one of {', '.join(_BOOL_KEYS)}")
        if len(keys) > 1:
            raise self.fail(
                IssueCode.STRUCTURE, path, detail=f"one operator per node, found {', '.join(keys)}"
            )
        key = keys[0]
        arg = spec[key]
        apath = f"{path}.{key}"
        if key in ("all", "any"):
            items = self.lst(arg, apath)
            if not items:
                raise self.fail(IssueCode.STRUCTURE, apath, detail=f"'{key}' needs at least one condition")
            children = []
            for i, item in enumerate(items):
                try:
                    children.append(self.cond(item, f"{apath}[{i}]", polarity))
                except _Invalid:
                    continue
            if len(children) != len(items):
                raise _Invalid()
            cls = AllOf if key == "all" else AnyOf
            return cls(self.next_id(), path, label, cid, tuple(children))
        if key == "not":
            child = self.cond(arg, apath, not polarity)
            return Not(self.next_id(), path, label, cid, child)
        leaf = self.leaf_index(path)
        if key == "known":
            v = self.value(arg, apath)
            return self.register(Known(self.next_id(), path, label, cid, leaf, polarity, v))
        items = self.lst(arg, apath)
        if key in _CMP_OPS:
            if len(items) != 2:
                raise self.fail(IssueCode.STRUCTURE, apath, detail="a comparison needs two values")
            left, right = self.pair(items[0], items[1], f"{apath}[0]", f"{apath}[1]", key)
            return self.register(Cmp(self.next_id(), path, label, cid, leaf, polarity, key, left, right))
        if key == "between":
            if len(items) != 3:
                raise self.fail(IssueCode.STRUCTURE, apath, detail="'between' needs [value, low, high]")
            incl = spec.get("inclusive", "both")
            if incl not in _INCLUSIVE:
                raise self.fail(
                    IssueCode.STRUCTURE, f"{path}.inclusive", detail="inclusive is both|neither|left|right"
                )
            v, lo = self.pair(items[0], items[1], f"{apath}[0]", f"{apath}[1]", "<=")
            _v2, hi = self.pair(items[0], items[2], f"{apath}[0]", f"{apath}[2]", "<=")
            scale = max(v.type.scale, lo.type.scale, hi.type.scale)
            lo_i, hi_i = _INCLUSIVE[incl]
            return self.register(
                Between(
                    self.next_id(), path, label, cid, leaf, polarity,
                    self.aligned(v, scale), self.aligned(lo, scale), self.aligned(hi, scale), lo_i, hi_i,
                )
            )  # fmt: skip
        if len(items) != 2 or not isinstance(items[1], list):
            raise self.fail(IssueCode.STRUCTURE, apath, detail=f"'{key}' needs [value, [members…]]")
        v = self.value(items[0], f"{apath}[0]")
        members = items[1]
        if key in ("has_any", "has_all", "has_none"):
            if v.type.kind != "enum_set":
                raise self.fail(
                    IssueCode.TYPE_MISMATCH,
                    f"{apath}[0]",
                    detail=f"'{key}' needs a set, got {v.type.describe()}",
                )
            mask = self.literal(members, v.type, f"{apath}[1]")
            shown = tuple(str(m) for m in members)
            return self.register(
                SetTest(self.next_id(), path, label, cid, leaf, polarity, v, mask, key, shown)
            )
        if v.type.kind in ("bool", "enum_set") or v.type.kind == "decimal":
            raise self.fail(
                IssueCode.TYPE_MISMATCH,
                f"{apath}[0]",
                detail=f"'{key}' is not defined for {v.type.describe()}",
            )
        codes = frozenset(self.literal(m, v.type, f"{apath}[1][{i}]") for i, m in enumerate(members))
        shown = tuple(str(m) for m in members)
        return self.register(
            InSet(self.next_id(), path, label, cid, leaf, polarity, v, codes, key == "not_in", shown)
        )

    def pair(self, a: Any, b: Any, pa: str, pb: str, op: str) -> tuple[Value, Value]:
        """Two comparable values; a literal side takes the type of the other side."""
        if _is_literal(a) and not _is_literal(b):
            right = self.value(b, pb)
            left = self.value(a, pa, right.type)
        else:
            left = self.value(a, pa)
            right = self.value(b, pb, left.type)
        return self.check_pair(left, right, pa, pb, op)

    def check_pair(self, left: Value, right: Value, pa: str, pb: str, op: str) -> tuple[Value, Value]:
        lt, rt = left.type, right.type
        if lt.family != rt.family or (lt.values != rt.values):
            raise self.fail(
                IssueCode.TYPE_MISMATCH, pb, detail=f"cannot compare {lt.describe()} with {rt.describe()}"
            )
        if lt.kind == "enum_set":
            raise self.fail(
                IssueCode.TYPE_MISMATCH, pa, detail="compare sets with has_any / has_all / has_none"
            )
        if op not in ("==", "!=") and not lt.ordered:
            raise self.fail(IssueCode.TYPE_MISMATCH, pa, detail=f"'{op}' is not defined for {lt.describe()}")
        if lt.family == "number":
            scale = max(lt.scale, rt.scale)
            return self.aligned(left, scale), self.aligned(right, scale)
        return left, right

    # ---- rules
    def begin_rule(self) -> None:
        self._leaves = []
        self._attrs = set()
        self._params = set()

    def rule(self, spec: Any, path: str, position: int) -> AnyRule:
        spec = self.obj(spec, path)
        rid = self.ident(spec.get("id"), f"{path}.id")
        kind = spec.get("kind", "rule")
        if kind not in ("rule", "scored_table", "decision_table"):
            raise self.fail(
                IssueCode.STRUCTURE, f"{path}.kind", detail="kind is rule|scored_table|decision_table"
            )
        title = self.text(spec.get("title", rid), f"{path}.title") or Text(rid, rid)
        legal = None
        if "legal" in spec:
            lg = self.obj(spec["legal"], f"{path}.legal")
            if not isinstance(lg.get("document"), str):
                self.issue(IssueCode.STRUCTURE, f"{path}.legal.document", detail="expected the document name")
            else:
                legal = LegalRef(lg["document"], str(lg.get("article", "")), str(lg.get("url", "")))
        eff_from = eff_to = None
        if "effective" in spec:
            eff = self.obj(spec["effective"], f"{path}.effective")
            if "from" in eff:
                eff_from = self.date_days(eff["from"], f"{path}.effective.from")
            if "to" in eff and eff["to"] is not None:
                eff_to = self.date_days(eff["to"], f"{path}.effective.to")
        links: dict[str, tuple[str, ...]] = {}
        for key in ("overrides", "excluded_by", "not_together_with"):
            raw = spec.get(key, [])
            items = self.lst(raw, f"{path}.{key}")
            links[key] = tuple(self.ident(x, f"{path}.{key}[{i}]") for i, x in enumerate(items))
        self.begin_rule()
        common: dict[str, Any] = {
            "id": rid, "title": title, "legal": legal, "path": path, "position": position,
            "effective_from": eff_from, "effective_to": eff_to, "overrides": links["overrides"],
            "excluded_by": links["excluded_by"], "not_together_with": links["not_together_with"],
        }  # fmt: skip
        errors_before = len(self.issues)
        built: AnyRule
        if kind == "rule":
            built = self.plain_rule(spec, path, common)
        elif kind == "scored_table":
            built = self.scored_table(spec, path, common)
        else:
            built = self.decision_table(spec, path, common)
        if len(self.issues) != errors_before:
            raise _Invalid()
        return built

    def finish(self, common: dict[str, Any], path: str) -> dict[str, Any]:
        leaves = tuple(self._leaves or ())
        if len(leaves) > MAX_LEAVES:
            self.issue(IssueCode.TOO_MANY_CONDITIONS, path, count=len(leaves))
        common.update(leaves=leaves, attributes=frozenset(self._attrs), parameters=frozenset(self._params))
        self._leaves = None
        return common

    def optional(self, spec: Mapping[str, Any], key: str, path: str, expected: VType) -> Value | None:
        if key not in spec:
            return None
        try:
            v = self.value(spec[key], f"{path}.{key}", expected)
        except _Invalid:
            return None
        if v.type.kind != expected.kind:
            self.issue(
                IssueCode.TYPE_MISMATCH,
                f"{path}.{key}",
                detail=f"{key} must be {expected.kind}, got {v.type.describe()}",
            )
            return None
        return v

    def plain_rule(self, spec: Mapping[str, Any], path: str, common: dict[str, Any]) -> Rule:
        allowed = {"id", "kind", "title", "legal", "effective", "overrides", "excluded_by", "not_together_with",
                   "when", "amount", "points", "tier", "description", "note"}  # fmt: skip
        for key in spec:
            if key not in allowed:
                self.issue(IssueCode.STRUCTURE, f"{path}.{key}", detail=f"unknown key '{key}'")
        when = None
        if "when" in spec:
            with contextlib.suppress(_Invalid):
                when = self.cond(spec["when"], f"{path}.when", True)
        leaves_after_when = list(self._leaves or ())
        amount = self.optional(spec, "amount", path, MONEY)
        points = self.optional(spec, "points", path, INT)
        self._leaves = leaves_after_when
        tier = spec.get("tier")
        if tier is not None and not isinstance(tier, str):
            self.issue(IssueCode.STRUCTURE, f"{path}.tier", detail="tier is a string")
            tier = None
        return Rule(
            **self.finish(common, path), kind="rule", when=when, amount=amount, points=points, tier=tier
        )

    def region(self, vt: VType, cond: Cond) -> Any:
        """Abstract region of a unary test for overlap/subsumption: ("iv", lo, hi) inclusive integer bounds,
        ("set", codes) or ("opaque", path)."""
        if isinstance(cond, Literal) and cond.value:
            return ("any",)
        if isinstance(cond, InSet) and not cond.negate:
            return ("set", cond.codes)
        if isinstance(cond, Cmp) and isinstance(cond.right, Const | Scale) and vt.ordered:
            c = _const_value(cond.right)
            if c is None:
                return ("opaque", cond.path)
            op = cond.op
            if op == "==":
                return ("iv", c, c)
            if op in ("<", "<="):
                return ("iv", None, c if op == "<=" else c - 1)
            if op in (">", ">="):
                return ("iv", c if op == ">=" else c + 1, None)
        if isinstance(cond, Cmp) and cond.op == "==" and isinstance(cond.right, Const):
            return ("set", frozenset([cond.right.value]))
        if isinstance(cond, Between):
            lo, hi = _const_value(cond.lo), _const_value(cond.hi)
            if lo is not None and hi is not None:
                return ("iv", lo if cond.lo_incl else lo + 1, hi if cond.hi_incl else hi - 1)
        return ("opaque", cond.path)

    def cell(self, raw: Any, inp: Value, path: str) -> Cond | None:
        """A unary cell test against the column input (``"-"`` or null = any)."""
        if raw is None or raw == "-":
            return None
        if not isinstance(raw, Mapping):
            raw = {"==": raw}
        keys = [k for k in raw if k in _BOOL_KEY_SET]
        if len(keys) != 1 or keys[0] in ("all", "any", "not", "known"):
            raise self.fail(
                IssueCode.STRUCTURE, path, detail='a cell is "-", a value, or one test like {">=": 3}'
            )
        key = keys[0]
        arg = raw[key]
        apath = f"{path}.{key}"
        leaf = self.leaf_index(path)
        if key in _CMP_OPS:
            right = self.value(arg, apath, inp.type)
            left, right = self.check_pair(inp, right, path, apath, key)
            return self.register(Cmp(self.next_id(), path, None, None, leaf, True, key, left, right))
        if key == "between":
            if not isinstance(arg, list) or len(arg) != 2:
                raise self.fail(IssueCode.STRUCTURE, apath, detail="'between' needs [low, high]")
            incl = raw.get("inclusive", "both")
            if incl not in _INCLUSIVE:
                raise self.fail(
                    IssueCode.STRUCTURE, f"{path}.inclusive", detail="inclusive is both|neither|left|right"
                )
            _v, lo = self.check_pair(
                inp, self.value(arg[0], f"{apath}[0]", inp.type), path, f"{apath}[0]", "<="
            )
            _, hi = self.check_pair(
                inp, self.value(arg[1], f"{apath}[1]", inp.type), path, f"{apath}[1]", "<="
            )
            scale = max(inp.type.scale, lo.type.scale, hi.type.scale)
            lo_i, hi_i = _INCLUSIVE[incl]
            return self.register(
                Between(
                    self.next_id(), path, None, None, leaf, True,
                    self.aligned(inp, scale), self.aligned(lo, scale), self.aligned(hi, scale), lo_i, hi_i,
                )
            )  # fmt: skip
        if not isinstance(arg, list):
            raise self.fail(IssueCode.STRUCTURE, apath, detail=f"'{key}' needs a list of members")
        if key in ("has_any", "has_all", "has_none"):
            if inp.type.kind != "enum_set":
                raise self.fail(
                    IssueCode.TYPE_MISMATCH, apath, detail=f"'{key}' needs a set, got {inp.type.describe()}"
                )
            mask = self.literal(arg, inp.type, apath)
            return self.register(
                SetTest(self.next_id(), path, None, None, leaf, True, inp, mask, key, tuple(map(str, arg)))
            )
        if inp.type.kind in ("bool", "enum_set", "decimal"):
            raise self.fail(
                IssueCode.TYPE_MISMATCH, apath, detail=f"'{key}' is not defined for {inp.type.describe()}"
            )
        codes = frozenset(self.literal(m, inp.type, f"{apath}[{i}]") for i, m in enumerate(arg))
        return self.register(
            InSet(
                self.next_id(),
                path,
                None,
                None,
                leaf,
                True,
                inp,
                codes,
                key == "not_in",
                tuple(map(str, arg)),
            )
        )

    def scored_table(self, spec: Mapping[str, Any], path: str, common: dict[str, Any]) -> ScoredTable:
        prereq = None
        if "prerequisites" in spec:
            with contextlib.suppress(_Invalid):
                prereq = self.cond(spec["prerequisites"], f"{path}.prerequisites", True)
        groups: list[Group] = []
        for i, g in enumerate(self.lst(spec.get("groups", []), f"{path}.groups")):
            gp = f"{path}.groups[{i}]"
            try:
                g = self.obj(g, gp)
                gid = self.ident(g.get("id"), f"{gp}.id")
            except _Invalid:
                continue
            gmin = g.get("min", 0)
            if not isinstance(gmin, int) or isinstance(gmin, bool):
                self.issue(IssueCode.STRUCTURE, f"{gp}.min", detail="min is an integer number of points")
                gmin = 0
            groups.append(
                Group(gid, self.text(g.get("label", gid), f"{gp}.label") or Text(gid, gid), gmin, gp)
            )
        group_ids = {g.id for g in groups}
        indicators: list[Indicator] = []
        for i, ind in enumerate(self.lst(spec.get("indicators", []), f"{path}.indicators")):
            ip = f"{path}.indicators[{i}]"
            try:
                indicators.append(self.indicator(ind, ip, group_ids))
            except _Invalid:
                continue
        threshold = spec.get("threshold", 0)
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            self.issue(
                IssueCode.STRUCTURE, f"{path}.threshold", detail="threshold is an integer number of points"
            )
            threshold = 0
        rule_leaves = list(self._leaves or ())
        routes: list[Route] = []
        for i, r in enumerate(self.lst(spec.get("routes", []), f"{path}.routes")):
            rp = f"{path}.routes[{i}]"
            try:
                r = self.obj(r, rp)
                rid = self.ident(r.get("id"), f"{rp}.id")
                self._leaves = []
                when = self.cond(r.get("when"), f"{rp}.when", True)
                routes.append(
                    Route(
                        rid,
                        self.text(r.get("label", rid), f"{rp}.label") or Text(rid, rid),
                        when,
                        tuple(self._leaves),
                        rp,
                    )
                )
            except _Invalid:
                continue
        self._leaves = rule_leaves
        amount = self.optional(spec, "amount", path, MONEY)
        self._leaves = rule_leaves
        tier = spec.get("tier") if isinstance(spec.get("tier"), str) else None
        return ScoredTable(
            **self.finish(common, path), kind="scored_table", prerequisites=prereq, indicators=tuple(indicators),
            groups=tuple(groups), threshold=threshold, routes=tuple(routes), amount=amount, tier=tier,
        )  # fmt: skip

    def indicator(self, ind: Any, ip: str, group_ids: set[str]) -> Indicator:
        ind = self.obj(ind, ip)
        iid = self.ident(ind.get("id"), f"{ip}.id")
        inp = self.value(ind.get("input"), f"{ip}.input")
        group = ind.get("group")
        if group is not None and group not in group_ids:
            self.issue(IssueCode.STRUCTURE, f"{ip}.group", detail=f"unknown group '{group}'")
        bands: list[Band] = []
        for j, b in enumerate(self.lst(ind.get("bands"), f"{ip}.bands")):
            bp = f"{ip}.bands[{j}]"
            b = self.obj(b, bp)
            pts = b.get("points")
            if not isinstance(pts, int) or isinstance(pts, bool):
                self.issue(IssueCode.STRUCTURE, f"{bp}.points", detail="points is an integer")
                continue
            bands.append(self.band(b, bp, inp, pts))
        return Indicator(
            iid, self.text(ind.get("label", iid), f"{ip}.label") or Text(iid, iid),
            group if isinstance(group, str) else None, inp, tuple(bands), ip, self.next_id(),
        )  # fmt: skip

    def band(self, b: Mapping[str, Any], bp: str, inp: Value, pts: int) -> Band:
        vt = inp.type
        label = str(b.get("label", ""))
        if "in" in b or "is" in b:
            members = b["in"] if "in" in b else [b["is"]]
            if not isinstance(members, list):
                raise self.fail(IssueCode.STRUCTURE, f"{bp}.in", detail="expected a list")
            codes = frozenset(
                (
                    int(m)
                    if vt.kind == "bool" and isinstance(m, bool)
                    else self.literal(m, vt, f"{bp}.in[{k}]")
                )
                for k, m in enumerate(members)
            )
            cond: Cond
            if vt.kind == "bool":
                if codes == {0, 1}:
                    cond = Literal(self.next_id(), bp, None, None, -1, True, True)
                elif codes:
                    want = Const(self.next_id(), bp, BOOL, bool(next(iter(codes))))
                    cond = Cmp(self.next_id(), bp, None, None, -1, True, "==", inp, want)
                else:
                    cond = Literal(self.next_id(), bp, None, None, -1, True, False)
            elif vt.kind in ("enum", "ordered_enum", "int", "money", "date"):
                cond = InSet(
                    self.next_id(), bp, None, None, -1, True, inp, codes, False, tuple(map(str, members))
                )
            else:
                raise self.fail(
                    IssueCode.TYPE_MISMATCH, bp, detail=f"'in' bands are not defined for {vt.describe()}"
                )
            return Band(cond, pts, bp, codes=codes, label=label)
        if not vt.ordered:
            raise self.fail(IssueCode.TYPE_MISMATCH, bp, detail=f"bands over {vt.describe()} use 'in'")
        lo_key = "gte" if "gte" in b else ("gt" if "gt" in b else None)
        hi_key = "lte" if "lte" in b else ("lt" if "lt" in b else None)
        if lo_key is None and hi_key is None:
            raise self.fail(IssueCode.STRUCTURE, bp, detail="a band needs gte/gt and/or lte/lt (or 'in')")
        parts: list[Cond] = []
        lo = hi = None
        ops = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
        for key in (lo_key, hi_key):
            if key is None:
                continue
            bound = self.literal(b[key], vt, f"{bp}.{key}")
            const = Const(self.next_id(), f"{bp}.{key}", vt, bound)
            parts.append(Cmp(self.next_id(), f"{bp}.{key}", None, None, -1, True, ops[key], inp, const))
            if key in ("gte", "gt"):
                lo = bound
            else:
                hi = bound
        cond = parts[0] if len(parts) == 1 else AllOf(self.next_id(), bp, None, None, tuple(parts))
        return Band(cond, pts, bp, lo=lo, lo_incl=lo_key != "gt", hi=hi, hi_incl=hi_key != "lt", label=label)

    def decision_table(self, spec: Mapping[str, Any], path: str, common: dict[str, Any]) -> DecisionTable:
        hit = spec.get("hit_policy", "first")
        if hit not in ("first", "collect"):
            self.issue(IssueCode.STRUCTURE, f"{path}.hit_policy", detail="hit_policy is first|collect")
            hit = "first"
        inputs: list[TableInput] = []
        for i, inp in enumerate(self.lst(spec.get("inputs"), f"{path}.inputs")):
            ip = f"{path}.inputs[{i}]"
            inp = self.obj(inp, ip)
            iid = str(inp.get("id", i))
            v = self.value(inp.get("value"), f"{ip}.value")
            inputs.append(
                TableInput(iid, self.text(inp.get("label", iid), f"{ip}.label") or Text(iid, iid), v)
            )
        rows: list[Row] = []
        for i, row in enumerate(self.lst(spec.get("rows"), f"{path}.rows")):
            rp = f"{path}.rows[{i}]"
            try:
                row = self.obj(row, rp)
                cells_raw = self.lst(row.get("cells"), f"{rp}.cells")
                if len(cells_raw) != len(inputs):
                    raise self.fail(
                        IssueCode.STRUCTURE, f"{rp}.cells", detail=f"expected {len(inputs)} cells"
                    )
                self._leaves = []
                cells = tuple(
                    self.cell(c, inputs[k].value, f"{rp}.cells[{k}]") for k, c in enumerate(cells_raw)
                )
                row_leaves = tuple(self._leaves)
                present = [c for c in cells if c is not None]
                cond: Cond
                if not present:
                    cond = Literal(self.next_id(), rp, None, None, -1, True, True)
                elif len(present) == 1:
                    cond = present[0]
                else:
                    cond = AllOf(self.next_id(), rp, None, None, tuple(present))
                regions = tuple(
                    ("any",) if c is None else self.region(inputs[k].value.type, c)
                    for k, c in enumerate(cells)
                )
                self._leaves = []
                tier = row.get("tier") if isinstance(row.get("tier"), str) else None
                amount = self.optional(row, "amount", rp, MONEY)
                points = self.optional(row, "points", rp, INT)
                label = self.text(row.get("label"), f"{rp}.label", required=False)
                rows.append(Row(cells, cond, row_leaves, tier, amount, points, label, rp, regions))
            except _Invalid:
                continue
        self._leaves = []
        tiers_raw = spec.get("tiers")
        if tiers_raw is None:
            tiers: list[str] = []
            for r in rows:
                if r.tier is not None and r.tier not in tiers:
                    tiers.append(r.tier)
        else:
            tiers = [str(t) for t in self.lst(tiers_raw, f"{path}.tiers")]
            for r in rows:
                if r.tier is not None and r.tier not in tiers:
                    self.issue(
                        IssueCode.STRUCTURE, f"{r.path}.tier", detail=f"tier '{r.tier}' is not in tiers"
                    )
        return DecisionTable(
            **self.finish(common, path), kind="decision_table", inputs=tuple(inputs), rows=tuple(rows),
            hit_policy=hit, tiers=tuple(tiers),
        )  # fmt: skip


def _const_value(v: Value) -> int | None:
    if isinstance(v, Const) and isinstance(v.value, int):
        return int(v.value)
    if isinstance(v, Scale) and isinstance(v.child, Const):
        return int(v.child.value) * v.factor
    return None


def _looks_numeric(s: str) -> bool:
    try:
        to_decimal(s)
    except ValueError:
        return False
    return True
