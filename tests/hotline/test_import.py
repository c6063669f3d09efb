"""`python -m gateway import hotline FILE.csv`: whole-file checks first, then each row down the endpoint's path."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import cli
from gateway.progress_bar import ProgressBar
from gateway.tables import submissions, tickets
from tests.harness.gateway import OPERATOR_KEY, make_gateway, test_environ
from tests.hotline.support import count, fixture, post_hotline

ROOT = Path(__file__).resolve().parents[2]
GOOD = fixture("import__good_utf8.csv")
SUMMARY = re.compile(r"导入完成：新导入 (\d+) 条，重复跳过 (\d+) 条，拒绝 (\d+) 条。")


@pytest.fixture
def run_cli(database_url, tmp_path, monkeypatch, capsys):
    """Run `python -m gateway import hotline …` in-process against the test store; (exit code, stdout, stderr)."""
    for name, value in test_environ(database_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    for name in ("GATEWAY_REDIS_URL", "GATEWAY_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    def run(content: bytes | None, *args: str, name: str = "calls.csv"):
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        capsys.readouterr()
        code = cli.main(["import", "hotline", str(path), *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run


@pytest.fixture
def store(database_url, tmp_path):
    """A gateway on the same store, to look at (and drive the pipeline of) what the import stored."""
    gw = make_gateway(database_url, tmp_path / "look")
    yield gw
    gw.runtime.engine.dispose()


def rejected_rows(out: str) -> list[int]:
    return [int(n) for n in re.findall(r"第 (\d+) 行：", out)]


def outcome(out: str) -> tuple[int, int, int] | None:
    match = SUMMARY.search(out)
    return tuple(int(g) for g in match.groups()) if match else None


GBK = fixture("import__gbk.csv")
BROKEN = fixture("import__broken_rows.csv")
FILES = [
    # (name, file bytes, extra args, exit code, (imported, repeats, rejected) or None, rejected rows, in stdout)
    ("utf-8", GOOD, (), 0, (4, 0, 0), [], "编码 UTF-8，"),
    ("utf-8 with BOM", b"\xef\xbb\xbf" + GOOD, (), 0, (4, 0, 0), [], "编码 UTF-8（带 BOM）"),
    ("gbk detected", GBK, (), 0, (2, 0, 0), [], "编码 GB18030"),
    ("gbk named", GBK, ("--encoding", "cp936"), 0, (2, 0, 0), [], "编码 GBK"),
    ("gbk read as utf-8", GBK, ("--encoding", "utf-8"), 2, None, [], "无法按 UTF-8 解码"),
    ("unknown encoding", GOOD, ("--encoding", "klingon"), 2, None, [], "未知的编码"),
    ("undecodable", b"call_id,summary\r\nX-1,\xff\xff\xff\xff\r\n", (), 2, None, [], "请用 --encoding 指定"),
    ("broken rows", BROKEN, (), 1, None, [3, 4, 5, 6, 7, 8, 9, 10], "未导入任何记录"),
    ("broken rows, skip invalid", BROKEN, ("--skip-invalid",), 1, (2, 0, 8), [3, 4, 5, 6, 7, 8, 9, 10],
     "导入完成"),
    ("missing call_id column", fixture("import__missing_columns.csv"), (), 2, None, [], "缺少必需的列：call_id"),
    ("no transcript or summary column", fixture("import__no_text_column.csv"), (), 2, None, [], "至少需要其中之一"),
    ("unknown column", fixture("import__unknown_column.csv"), (), 2, None, [], "未知的列：备注"),
    ("header only", b"call_id,summary\r\n", (), 0, (0, 0, 0), [], "数据行 0 行"),
    ("empty file", b"", (), 2, None, [], "文件为空"),
    ("bad quoting", b'call_id,summary\r\nQ-1,"unterminated\r\n', (), 2, None, [], "CSV 格式错误"),
    ("identical row twice", GOOD + GOOD.split(b"\r\n", 1)[1], (), 0, (4, 4, 0), [], "导入完成"),
]


@pytest.mark.parametrize("name,content,args,code,counts,rows,said", FILES, ids=[f[0] for f in FILES])
def test_import_files(run_cli, store, name, content, args, code, counts, rows, said):
    status, out, _err = run_cli(content, *args)
    assert status == code, out
    assert said in out, out
    assert rejected_rows(out) == rows, out
    assert outcome(out) == counts, out
    assert count(store) == (counts[0] if counts else 0)  # a refused file or refused rows store nothing


def test_imported_rows_are_stored_as_the_endpoint_would(run_cli, store):
    assert run_cli(GOOD)[0] == 0
    with store.runtime.engine.connect() as conn:
        rows = {r.data["external_id"]: r for r in conn.execute(select(tickets))}
    first, second, third, fourth = (rows[f"KEY-20240502-000{i}"] for i in range(1, 5))
    assert first.data["text"] == "汉阳区钟家村小区门口路灯坏了三天，晚上很黑" and first.data["urgent"] is False
    assert first.received_at.isoformat().startswith("2024-05-02T00:30:00")
    assert first.data["location"]["address"] == "汉阳区钟家村小区南门"
    assert first.data["category"] == "城乡建设/市政设施/路灯" and first.data["extra"]["agent_id"] == "A1024"
    assert first.data["extra"]["entered_by"] == "import" and first.channel == "hotline"
    assert second.data["text"] == "市民：青山区和平大道工地每天施工到凌晨两点。\r\n话务员：好的，已记录。"
    assert second.received_at.isoformat().startswith("2024-05-02T01:05:00")  # 2024/5/2 9:05 in Wuhan
    assert third.data["text"] == '武昌区中南路某小区停水一天，老人家中无水可用，"急"' and third.priority == "urgent"
    assert third.data["contact"] is None
    assert fourth.data["contact"]["phone"] == "13900001111"   # keyed-in blanks around the number dropped


def test_a_second_run_skips_every_row_as_a_repeat(run_cli, store):
    assert outcome(run_cli(GOOD)[1]) == (4, 0, 0)
    code, out, _ = run_cli(GOOD)
    assert code == 0 and outcome(out) == (0, 4, 0)
    assert count(store) == 4 and count(store, submissions) == 4


def test_a_row_that_contradicts_a_call_already_stored_is_refused(run_cli, store):
    code, out, _ = run_cli('call_id,summary\n"KEY-20240502-0001",上一个文件里的另一份内容\n'.encode())
    assert code == 0 and count(store) == 1
    code, out, _ = run_cli(GOOD)
    assert code == 1 and rejected_rows(out) == [2] and "已登记过" in out
    assert count(store) == 1
    code, out, _ = run_cli(GOOD, "--skip-invalid")
    assert code == 1 and outcome(out) == (3, 0, 1) and count(store) == 4


def test_a_call_id_an_api_key_took_first_does_not_block_the_file(run_cli, store):
    # The import's call ids are its own scope (issue #13): a client key cannot take one first.
    sent = post_hotline(store, {"call_id": "K-1", "summary": "别人抢先用了这个通话编号"}).json
    code, out, _ = run_cli('call_id,summary\n"K-1",汉阳区路灯坏了\n'.encode())
    assert code == 0 and outcome(out) == (1, 0, 0)
    code, out, _ = run_cli('call_id,summary\n"K-1",汉阳区路灯坏了\n'.encode())
    assert code == 0 and outcome(out) == (0, 1, 0)
    assert count(store) == 2 and store.get(f"/api/v1/tickets/{sent['reference']}").status_code == 200


def test_attach_to_case_in_a_file(run_cli, store):
    case_ref = post_hotline(store, {"call_id": "K-0", "summary": "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"})
    store.drain()
    case_id = store.get(f"/api/v1/tickets/{case_ref.json['reference']}").json["case"]["id"]
    content = (f"call_id,agent_id,summary,attach_to_case\n"
               f"K-1,A7,青山区和平大道施工噪音每天到凌晨两点,{case_id}\n"
               f"K-2,A7,洪山区光谷大道井盖缺失,{case_id + 100}\n").encode()
    code, out, _ = run_cli(content)
    assert code == 1 and rejected_rows(out) == [3] and f"案件 {case_id + 100} 不存在" in out
    assert count(store) == 1
    code, out, _ = run_cli(content, "--skip-invalid")
    assert outcome(out) == (1, 0, 1)
    store.drain()
    decision = store.get(f"/api/v1/cases/{case_id}", OPERATOR_KEY).json["decisions"][-1]
    assert decision["actor"] == "A7" and decision["evidence"]["rule"] == "attached by operator"


def test_a_database_failure_midway_is_resumed_by_running_again(run_cli, store, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from gateway.hotline import csv_import as hotline_import
    real, calls = hotline_import.accept_hotline_call, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(hotline_import, "accept_hotline_call", failing)
    code, out, _ = run_cli(GOOD)
    assert code == 3 and "已导入 2 条" in out and count(store) == 2
    monkeypatch.setattr(hotline_import, "accept_hotline_call", real)
    code, out, _ = run_cli(GOOD)
    assert code == 0 and outcome(out) == (2, 2, 0) and count(store) == 4


def test_python_m_gateway_import_hotline(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(GBK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(test_environ(f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path))
    done = subprocess.run([sys.executable, "-m", "gateway", "import", "hotline", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "导入完成：新导入 2 条，重复跳过 0 条，拒绝 0 条。" in done.stdout
    assert "导入 [" in done.stderr and "100%" in done.stderr


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream,lines", [(Terminal(), 1), (io.StringIO(), 11)], ids=["terminal", "log"])
def test_progress_bar(stream, lines):
    ticks = iter(range(1000))
    bar = ProgressBar(100, stream, label="导入", clock=lambda: next(ticks))
    for _ in range(100):
        bar.update()
    bar.close()
    text = stream.getvalue()
    assert text.count("\n") == lines and "100/100" in text and "[" + "#" * 30 + "]" in text
