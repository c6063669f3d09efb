"""`python -m gateway import hotline FILE.csv`: bulk import of keyed-in calls, all or nothing by default.

The whole file is checked before anything is stored: its encoding and header, every row through the hotline
channel's own parser, `attach_to_case` ids, call ids repeated inside the file or already stored with another
content. A broken file imports nothing; invalid rows import nothing either unless `--skip-invalid`. Each row then
takes the endpoint's path (`accept_hotline_call`, channel "hotline", keyed by `call_id` in the import's own scope),
so running the same file again skips it as a repeat.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from channels.errors import ChannelError
from channels.hotline.call import CHANNEL, HotlineSubmission, parse_hotline_call
from channels.hotline.csv_rows import CsvFileError, CsvRow, decode, read_rows
from gateway.hotline.intake import UnknownCase, accept_hotline_call, live_case_id, scoped_call_id
from gateway.progress_bar import ProgressBar
from gateway.intake import IdempotencyConflict, json_body_hash
from gateway.runtime import Runtime
from gateway.tables import submissions

# Exit codes, for scripts that run the import.
OK, ROWS_REJECTED, FILE_UNUSABLE, INTERRUPTED = 0, 1, 2, 3
ENTERED_BY = "import"
IMPORT_SCOPE = "import"   # the import's call ids are its own: no API key can take one first


@dataclass
class PreparedRow:
    number: int
    submission: HotlineSubmission
    raw: bytes
    digest: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    repeats: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _reason(exc: ChannelError) -> str:
    """A ChannelError as one line for the operator: the message, or each field's messages."""
    if not exc.fields:
        return exc.message
    parts = []
    for name, messages in exc.fields.items():
        text = "；".join(_flatten(messages))
        parts.append(f"{name}：{text}" if name != "_schema" else text)
    return "；".join(parts)


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]
    return [str(messages)]


def _parse_row(runtime: Runtime, row: CsvRow, max_text_chars: int) -> PreparedRow:
    raw = json.dumps(row.data, ensure_ascii=False, sort_keys=True).encode()
    submission = parse_hotline_call(raw, now=runtime.clock(), zone=runtime.settings.timezone,
                                    max_text_chars=max_text_chars, entered_by=ENTERED_BY)
    return PreparedRow(row.number, submission, raw, json_body_hash(raw))


def _stored_hashes(runtime: Runtime, call_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    with runtime.engine.connect() as conn:
        for start in range(0, len(call_ids), 500):
            chunk = {scoped_call_id(IMPORT_SCOPE, call_id): call_id for call_id in call_ids[start:start + 500]}
            found.update((chunk[key], digest) for key, digest in conn.execute(
                select(submissions.c.idem_key, submissions.c.body_hash).where(
                    submissions.c.channel == CHANNEL, submissions.c.idem_key.in_(list(chunk)))).all())
    return found


def check_rows(runtime: Runtime, rows: list[CsvRow]) -> tuple[list[PreparedRow], list[tuple[int, str]]]:
    """Every row checked as the endpoint would, plus what only the whole file shows; (valid rows, rejections)."""
    max_text_chars = runtime.settings.section("intake").get("max_text_chars", 20000)
    prepared: list[PreparedRow] = []
    rejected: list[tuple[int, str]] = []
    first_seen: dict[str, PreparedRow] = {}
    for row in rows:
        if row.errors:
            rejected.append((row.number, "；".join(row.errors)))
            continue
        try:
            item = _parse_row(runtime, row, max_text_chars)
        except ChannelError as exc:
            rejected.append((row.number, _reason(exc)))
            continue
        earlier = first_seen.setdefault(item.submission.call_id, item)
        if earlier is not item and earlier.digest != item.digest:
            rejected.append((row.number, f"通话编号 {item.submission.call_id} 与第 {earlier.number} 行相同，但内容不同"))
            continue
        prepared.append(item)  # an identical repeat inside the file is skipped as a repeat at import
    cases = {item.submission.attach_to_case for item in prepared if item.submission.attach_to_case is not None}
    missing = {case_id for case_id in cases if live_case_id(runtime, case_id) is None}
    stored = _stored_hashes(runtime, sorted(first_seen))
    valid = []
    for item in prepared:
        call_id, case_id = item.submission.call_id, item.submission.attach_to_case
        if case_id in missing:
            rejected.append((item.number, f"attach_to_case：要并入的案件 {case_id} 不存在"))
        elif call_id in stored and stored[call_id] != item.digest:
            rejected.append((item.number, f"通话编号 {call_id} 已登记过，但内容与本行不同"))
        else:
            valid.append(item)
    rejected.sort()
    return valid, rejected


def _store(runtime: Runtime, valid: list[PreparedRow], report: ImportReport, progress: ProgressBar) -> None:
    for item in valid:
        try:
            result = accept_hotline_call(runtime, item.submission, item.raw, item.digest, scope=IMPORT_SCOPE)
        except IdempotencyConflict:   # stored by someone else between the check and now
            report.rejected.append((item.number, f"通话编号 {item.submission.call_id} 已登记过，但内容与本行不同"))
        except UnknownCase as exc:
            report.rejected.append((item.number, f"attach_to_case：{exc.message}"))
        else:
            if result.created:
                report.imported += 1
            else:
                report.repeats += 1
        progress.update()


def _print_rejected(report: ImportReport, out: TextIO) -> None:
    if report.rejected:
        print(f"有误的行（共 {len(report.rejected)} 行；行号按表格计，表头为第 1 行）：", file=out)
        for number, reason in sorted(report.rejected):
            print(f"  第 {number} 行：{reason}", file=out)


def run_import(runtime: Runtime, path: str | Path, *, encoding: str | None = None, skip_invalid: bool = False,
               out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Check the whole file, then import it; prints the summary for operators and returns the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        content = Path(path).read_bytes()
        text, used = decode(content, encoding)
        rows = read_rows(text)
    except OSError as exc:
        print(f"无法读取文件 {path}：{exc.strerror or exc}", file=out)
        return FILE_UNUSABLE
    except CsvFileError as exc:
        print(f"文件 {path} 无法导入，未导入任何记录：{exc.message}", file=out)
        return FILE_UNUSABLE
    report = ImportReport(rows=len(rows))
    print(f"文件 {path}：编码 {used}，数据行 {len(rows)} 行。", file=out)
    try:
        valid, report.rejected = check_rows(runtime, rows)
    except DBAPIError as exc:
        print(f"数据库出错（{str(exc).splitlines()[0]}），未导入任何记录。", file=out)
        return INTERRUPTED
    if report.rejected and not skip_invalid:
        _print_rejected(report, out)
        print(f"未导入任何记录。请改正以上各行后重新导入，或加 --skip-invalid 只导入其余 {len(valid)} 行。", file=out)
        return ROWS_REJECTED
    progress = ProgressBar(len(valid), err, label="导入")
    try:
        _store(runtime, valid, report, progress)
    except DBAPIError as exc:
        progress.close()
        print(f"导入中断：数据库出错（{str(exc).splitlines()[0]}）。已导入 {report.imported} 条。"
              "原样重新运行同一命令即可继续，已导入的行会作为重复跳过。", file=out)
        return INTERRUPTED
    progress.close()
    _print_rejected(report, out)
    print(f"导入完成：新导入 {report.imported} 条，重复跳过 {report.repeats} 条，拒绝 {len(report.rejected)} 条。",
          file=out)
    return ROWS_REJECTED if report.rejected else OK
