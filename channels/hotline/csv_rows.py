"""Keyed-in hotline calls as a CSV file: decoding, the header, and each row as the hotline channel's JSON fields.

Only reading and checking: nothing here touches the store. A file that cannot be read as a whole (undecodable,
no header, a missing or unknown column) raises CsvFileError; a bad row is reported by its row number, as a
spreadsheet numbers it (the header is row 1), and never stops the others from being checked.
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from typing import Any

from channels.hotline.schema import HotlineCall

COLUMNS = tuple(HotlineCall().fields)
REQUIRED = ("call_id",)
ONE_OF = ("transcript", "summary")
# Cells keyed in by people: surrounding blanks in these are noise. Transcript and summary are kept as typed.
STRIPPED = frozenset(COLUMNS) - {"transcript", "summary", "address"}

TRUE = {"true", "1", "yes", "y", "是", "紧急", "t"}
FALSE = {"false", "0", "no", "n", "否", "不紧急", "f"}


class CsvFileError(Exception):
    """The file cannot be imported at all; `message` says why, in Chinese, for the operator."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CsvRow:
    """One data row: its spreadsheet row number, and either the call's JSON fields or why it is invalid."""

    number: int
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def decode(content: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding used (for people): `encoding` if given, else UTF-8 (BOM or not), else GB18030.

    GB18030 is a superset of GBK and GB2312, the encodings of most Chinese spreadsheet exports.
    """
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise CsvFileError(f"未知的编码：{encoding}") from None
        candidates = ["utf-8-sig" if name == "utf-8" else name]
    else:
        candidates = ["utf-8-sig", "gb18030"]
    for name in candidates:
        try:
            text = content.decode(name)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        if name == "utf-8-sig":
            return text, "UTF-8（带 BOM）" if content.startswith(codecs.BOM_UTF8) else "UTF-8"
        return text, name.upper()
    line = content[:failure.start].count(b"\n") + 1
    tried = "、".join("UTF-8" if name == "utf-8-sig" else name.upper() for name in candidates)
    raise CsvFileError(f"文件无法按 {tried} 解码（第 {line} 行附近，字节位置 {failure.start}）；"
                       "请用 --encoding 指定文件的编码") from None


def _header(names: list[str]) -> list[str]:
    header = [name.strip().lstrip("\ufeff").lower() for name in names]
    if not any(header):
        raise CsvFileError("文件没有表头行")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CsvFileError(f"未知的列：{'、'.join(unknown) or '（空列名）'}；可用的列：{', '.join(COLUMNS)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise CsvFileError(f"列名重复：{'、'.join(repeated)}")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise CsvFileError(f"缺少必需的列：{'、'.join(missing)}")
    if not any(name in header for name in ONE_OF):
        raise CsvFileError("缺少 transcript（通话转写）或 summary（通话摘要）列，至少需要其中之一")
    return header


def _cell(name: str, value: str, errors: list[str]) -> Any:
    if name == "urgent":
        word = value.lower()
        if word in TRUE or word in FALSE:
            return word in TRUE
        errors.append(f"urgent：应为 是/否（或 true/false、1/0），而不是“{value}”")
        return None
    if name == "attach_to_case":
        if value.isascii() and value.isdigit():
            return int(value)
        errors.append(f"attach_to_case：应为案件编号（正整数），而不是“{value}”")
        return None
    return value


def _row(number: int, header: list[str], cells: list[str]) -> CsvRow:
    row = CsvRow(number)
    if len(cells) != len(header):
        row.errors.append(f"该行有 {len(cells)} 个单元格，表头有 {len(header)} 列")
        return row
    for name, value in zip(header, cells):
        if name in STRIPPED:
            value = value.strip()
        if not value.strip():
            continue  # an empty cell is an absent field
        converted = _cell(name, value, row.errors)
        if converted is not None:
            row.data[name] = converted
    return row


def read_rows(text: str) -> list[CsvRow]:
    """Every data row of the CSV text (blank lines skipped); raises CsvFileError when the header is unusable."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[CsvRow] = []
    try:
        header = None
        number = 0
        for cells in reader:
            number += 1
            if header is None:
                header = _header(cells)
            elif any(cell.strip() for cell in cells):
                rows.append(_row(number, header, cells))
    except csv.Error as exc:
        raise CsvFileError(f"CSV 格式错误（第 {reader.line_num} 行）：{exc}") from None
    if header is None:
        raise CsvFileError("文件为空")
    return rows
