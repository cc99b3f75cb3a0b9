"""Command line: ``rulebook check | eval | explain | reform``.

Any bad file or bad data prints one error line with the location (file, JSON path or column/row) and
exits with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from rulebook.compile_polars import col_name
from rulebook.engine import Engine
from rulebook.errors import DataError, IssueCode, RulebookError, make_issue
from rulebook.explain import render_text
from rulebook.model import RuleSet, load_json_file
from rulebook.reform import Reform, simulate_reform
from rulebook.values import fen_to_str

EXIT_OK = 0
EXIT_ERROR = 2


class CliError(RulebookError):
    """An error already located for the command line."""


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _load_rules(path: str) -> RuleSet:
    rs = RuleSet.from_file(path)
    return rs


def _read_data(path: str) -> pl.DataFrame:
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=10000)
    except (OSError, pl.exceptions.PolarsError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CliError([make_issue(IssueCode.BAD_FILE, path, detail=detail)]) from None
    raise CliError([make_issue(IssueCode.BAD_FILE, path, detail="expected a .parquet or .csv file")])


def _located(exc: RulebookError, file: str) -> RulebookError:
    """Prefix issue paths with the file they come from (unless already located)."""
    from rulebook.errors import Issue

    issues = [
        i if i.path.startswith(file) else Issue(i.code, f"{file}: {i.path}", i.zh, i.en) for i in exc.issues
    ]
    return type(exc)(issues)


def _print_issue_lines(exc: RulebookError, lang: str, limit: int | None = 1) -> None:
    word = "错误" if lang != "en" else "error"
    for issue in exc.issues[:limit]:
        print(f"rulebook: {word}: {issue.path}: {issue.message(lang)}", file=sys.stderr)


# --------------------------------------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    rs = _load_rules(args.rules)
    issues = rs.validate(args.as_of)
    if args.json:
        print(
            json.dumps(
                {"ok": not issues, "issues": [i.to_dict() for i in issues]}, ensure_ascii=False, indent=2
            )
        )
    if issues:
        exc = _located(RulebookError(issues), args.rules)
        if not args.json:
            _print_issue_lines(exc, args.lang, limit=None)
        return EXIT_ERROR
    if not args.json:
        ok = "通过" if args.lang != "en" else "OK"
        print(f"{args.rules}: {ok} — {rs.id} {rs.version}, {len(rs.rules)} rules, {len(rs.attributes)} attributes, "
              f"{len(rs.parameters)} parameters")  # fmt: skip
    return EXIT_OK


def _engine(args: argparse.Namespace) -> Engine:
    rs = _load_rules(args.rules)
    engine = Engine(rs)
    try:
        engine.compiled(args.as_of)
    except RulebookError as exc:
        raise _located(exc, args.rules) from None
    return engine


def cmd_eval(args: argparse.Namespace) -> int:
    engine = _engine(args)
    df = _read_data(args.data)
    try:
        result = engine.evaluate_frame(df, as_of=args.as_of, masks=args.masks)
    except DataError as exc:
        raise _located(exc, args.data) from None
    en = args.lang == "en"
    rows = []
    for rule in engine.ruleset.rules:
        n = int(result[col_name(rule.id, "eligible")].sum())
        amount = int(result[col_name(rule.id, "amount")].sum())
        rows.append((rule.id, rule.title.get(args.lang), n, amount))
    if args.json:
        print(json.dumps({"rows": len(df), "rules": [{"rule": r[0], "eligible": r[2], "amount_fen": r[3]} for r in rows],
                          "total_amount_fen": sum(r[3] for r in rows)}, ensure_ascii=False, indent=2))  # fmt: skip
    else:
        print(
            f"{'人数' if not en else 'persons'}: {len(df)}  {'评估日' if not en else 'as of'}: {args.as_of}"
        )
        width = max(len(r[0]) for r in rows) if rows else 4
        for rid, title, n, amount in rows:
            print(f"{rid:<{width}}  {n:>10}  {fen_to_str(amount, args.lang):>22}  {title}")
        print(
            f"{'合计' if not en else 'total':<{width}}  {'':>10}  {fen_to_str(sum(r[3] for r in rows), args.lang):>22}"
        )
    if args.out:
        out = (
            pl.concat([df, result], how="horizontal") if not set(df.columns) & set(result.columns) else result
        )
        try:
            out.write_parquet(args.out)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise CliError(
                [make_issue(IssueCode.BAD_FILE, args.out, detail=str(exc).splitlines()[0])]
            ) from None
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    engine = _engine(args)
    try:
        person = load_json_file(args.person)
    except RulebookError as exc:
        raise _located(exc, args.person) from None
    if not isinstance(person, dict):
        raise CliError(
            [make_issue(IssueCode.STRUCTURE, f"{args.person}: $", detail="a person is a JSON object")]
        )
    try:
        result = engine.evaluate(person, as_of=args.as_of, strict=True)
    except DataError as exc:
        raise _located(exc, args.person) from None
    if args.json:
        print(json.dumps(result.to_dict(args.lang), ensure_ascii=False, indent=2))
    else:
        print(render_text(result.explain(lang=args.lang), result.missing(lang=args.lang)))
    return EXIT_OK


def cmd_reform(args: argparse.Namespace) -> int:
    rs = _load_rules(args.rules)
    try:
        reform = Reform.from_file(args.reform)
        reformed = reform.apply(rs)
        issues = reformed.validate(args.as_of)
        if issues:
            raise RulebookError(issues)
    except RulebookError as exc:
        raise _located(exc, args.reform) from None
    try:
        rs.check(args.as_of)
    except RulebookError as exc:
        raise _located(exc, args.rules) from None
    df = _read_data(args.data)
    by = [b for b in (args.by or "").split(",") if b]
    try:
        res = simulate_reform(rs, reformed, df, as_of=args.as_of, by=by)
    except DataError as exc:
        raise _located(exc, args.data) from None
    except RulebookError as exc:
        raise _located(exc, args.data) from None
    if args.json:
        print(json.dumps({"reform": reform.id, "as_of": args.as_of.isoformat(), "rows": res.table.to_dicts()},
                         ensure_ascii=False, indent=2, default=str))  # fmt: skip
    else:
        en = args.lang == "en"
        print(f"{'改革方案' if not en else 'Reform'}: {reform.title.get(args.lang)}  ({len(df)} "
              f"{'人' if not en else 'persons'}, {args.as_of})")  # fmt: skip
        with pl.Config(tbl_rows=200, tbl_cols=20, tbl_width_chars=200, fmt_str_lengths=40):
            print(res.table)
    if args.out:
        res.table.write_parquet(args.out)
    return EXIT_OK


# --------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rulebook", description="OneStop rules engine / 政策规则引擎")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, as_of_required: bool = True) -> None:
        sp.add_argument(
            "--as-of", type=_parse_date, required=as_of_required, help="evaluation date YYYY-MM-DD"
        )
        sp.add_argument("--lang", choices=("zh", "en"), default="zh")
        sp.add_argument("--json", action="store_true", help="machine-readable output")

    c = sub.add_parser("check", help="validate a rule set")
    c.add_argument("rules")
    common(c, as_of_required=False)
    c.set_defaults(func=cmd_check)
    e = sub.add_parser("eval", help="evaluate a table of persons (parquet or csv)")
    e.add_argument("rules")
    e.add_argument("data")
    e.add_argument("--out", help="write input columns + results to this parquet file")
    e.add_argument("--masks", action="store_true", help="add failed-condition bitmasks")
    common(e)
    e.set_defaults(func=cmd_eval)
    x = sub.add_parser("explain", help="explain the decisions for one person (JSON)")
    x.add_argument("rules")
    x.add_argument("person")
    common(x)
    x.set_defaults(func=cmd_explain)
    r = sub.add_parser("reform", help="simulate a reform against the baseline")
    r.add_argument("rules")
    r.add_argument("reform")
    r.add_argument("data")
    r.add_argument("--by", help="comma-separated grouping columns")
    r.add_argument("--out", help="write the comparison table to this parquet file")
    common(r)
    r.set_defaults(func=cmd_reform)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rulebook`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    lang = getattr(args, "lang", "zh")
    try:
        status: int = args.func(args)
        return status
    except RulebookError as exc:
        _print_issue_lines(exc, lang)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback for the user; the message says what broke
        word = "内部错误" if lang != "en" else "internal error"
        print(f"rulebook: {word}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_ERROR


def _entry() -> Any:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
