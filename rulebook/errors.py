"""Errors and validation issues.

Every problem the engine reports is an :class:`Issue`: a stable code, the JSON path of the faulty node
(``$.rules[2].when.all[1]``) and a message in Chinese and English. Exceptions carry one or more issues so
that callers (the CLI, a Django form, an API problem response) can show the location without parsing text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class IssueCode(StrEnum):
    """Stable codes of everything validation, compilation or data loading can report."""

    INVALID_JSON = "invalid_json"
    STRUCTURE = "structure"
    UNKNOWN_ATTRIBUTE = "unknown_attribute"
    UNKNOWN_PARAMETER = "unknown_parameter"
    UNKNOWN_RULE = "unknown_rule"
    DUPLICATE_ID = "duplicate_id"
    TYPE_MISMATCH = "type_mismatch"
    BAD_LITERAL = "bad_literal"
    BAND_OVERLAP = "band_overlap"
    BAND_GAP = "band_gap"
    UNREACHABLE_ROW = "unreachable_row"
    PARAMETER_NOT_EFFECTIVE = "parameter_not_effective"
    EXCLUSION_CYCLE = "exclusion_cycle"
    TOO_MANY_CONDITIONS = "too_many_conditions"
    DATA_MISSING_COLUMN = "data_missing_column"
    DATA_BAD_TYPE = "data_bad_type"
    DATA_BAD_VALUE = "data_bad_value"
    DATA_UNKNOWN_FIELD = "data_unknown_field"
    BAD_FILE = "bad_file"


_TEMPLATES: dict[IssueCode, tuple[str, str]] = {
    IssueCode.INVALID_JSON: ("JSON 格式错误：{detail}", "invalid JSON: {detail}"),
    IssueCode.STRUCTURE: ("结构错误：{detail}", "invalid structure: {detail}"),
    IssueCode.UNKNOWN_ATTRIBUTE: ("未知属性“{name}”", "unknown attribute '{name}'"),
    IssueCode.UNKNOWN_PARAMETER: ("未知参数“{name}”", "unknown parameter '{name}'"),
    IssueCode.UNKNOWN_RULE: ("未知规则“{name}”", "unknown rule '{name}'"),
    IssueCode.DUPLICATE_ID: ("重复的标识“{name}”", "duplicate id '{name}'"),
    IssueCode.TYPE_MISMATCH: ("类型不匹配：{detail}", "type mismatch: {detail}"),
    IssueCode.BAD_LITERAL: ("取值无效：{detail}", "invalid value: {detail}"),
    IssueCode.BAND_OVERLAP: ("分档重叠：{detail}", "overlapping bands: {detail}"),
    IssueCode.BAND_GAP: ("分档之间有空隙：{detail}", "gap between bands: {detail}"),
    IssueCode.UNREACHABLE_ROW: (
        "该行永远不会命中：被第 {row} 行覆盖",
        "row can never match: covered by row {row}",
    ),
    IssueCode.PARAMETER_NOT_EFFECTIVE: (
        "参数“{name}”在 {date} 没有有效值",
        "parameter '{name}' has no value in force on {date}",
    ),
    IssueCode.EXCLUSION_CYCLE: ("排斥关系成环：{detail}", "cycle in exclusions: {detail}"),
    IssueCode.TOO_MANY_CONDITIONS: (
        "条件过多（{count} 个，最多 64 个）",
        "too many conditions ({count}, at most 64)",
    ),
    IssueCode.DATA_MISSING_COLUMN: ("数据缺少列“{name}”", "data has no column '{name}'"),
    IssueCode.DATA_BAD_TYPE: ("数据类型错误：{detail}", "wrong data type: {detail}"),
    IssueCode.DATA_BAD_VALUE: ("数据取值无效：{detail}", "invalid data value: {detail}"),
    IssueCode.DATA_UNKNOWN_FIELD: ("未知字段“{name}”", "unknown field '{name}'"),
    IssueCode.BAD_FILE: ("无法读取文件：{detail}", "cannot read file: {detail}"),
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem, located by the JSON path of the faulty node.

    ``code`` is stable (use it in tests and UIs); ``zh``/``en`` are ready-to-show messages.
    """

    code: IssueCode
    path: str
    zh: str
    en: str

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang`` ("zh" or "en"), without the path."""
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:
        return f"{self.path}: {self.en}"

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready form: ``{"code", "path", "zh", "en"}``."""
        return {"code": self.code.value, "path": self.path, "zh": self.zh, "en": self.en}


def make_issue(code: IssueCode, path: str, **params: Any) -> Issue:
    """Build an issue from the message templates (``params`` fill ``{name}``, ``{detail}`` …)."""
    zh, en = _TEMPLATES[code]
    return Issue(code, path, zh.format(**params), en.format(**params))


class RulebookError(Exception):
    """Base class: carries one or more :class:`Issue` objects (``issues``; the first is ``issue``)."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("; ".join(str(i) for i in self.issues[:5]))

    @property
    def issue(self) -> Issue:
        """The first (most important) issue."""
        return self.issues[0]

    @property
    def path(self) -> str:
        """JSON path of the first issue."""
        return self.issues[0].path


class RuleSetError(RulebookError):
    """The rule set (or a reform) is invalid: it must not be published or evaluated."""


class DataError(RulebookError):
    """The input data (a person, a table) does not fit the attribute catalogue."""
