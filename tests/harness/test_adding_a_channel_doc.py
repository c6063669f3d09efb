"""docs/adding-a-channel.md stays true: its code blocks are the example channel's files, the paths it names exist,
its profile snippet configures the channel, and the channel's fixtures run through the shared harness."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.harness.fixture_table import FROZEN
from tests.harness.gateway import make_gateway
from tests.harness.tables import TABLES, dingtalk

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "adding-a-channel.md").read_text(encoding="utf-8")
FILE_BLOCK = re.compile(r"^```\w+ file=(\S+)\n(.*?)^```$", re.S | re.M)


def test_every_file_block_is_the_file_itself():
    blocks = FILE_BLOCK.findall(DOC)
    assert len(blocks) >= 8
    for path, body in blocks:
        assert (ROOT / path).read_text(encoding="utf-8").rstrip("\n") == body.rstrip("\n"), \
            f"docs/adding-a-channel.md shows an old {path}: paste the file again"


def test_the_doc_shows_the_whole_example_channel():
    shown = {path for path, _ in FILE_BLOCK.findall(DOC)}
    package = {str(p.relative_to(ROOT)) for side in ("channels", "gateway") for p in (ROOT / side / "dingtalk").glob("*.py")}
    assert package - {"channels/dingtalk/__init__.py"} <= shown


def test_every_path_the_doc_names_exists():
    named = set(re.findall(r"`((?:channels|gateway|tests|docs|config)/[\w./-]*)`", DOC))
    missing = sorted(p for p in named if "<" not in p and not (ROOT / p.split(" ")[0]).exists())
    assert named and missing == []


def test_the_profile_snippet_configures_the_channel(sqlite_url, tmp_path):
    snippet = re.search(r"^```toml\n(.*?)^```$", DOC, re.S | re.M).group(1)
    profile = tomllib.loads(snippet)
    profile["dingtalk"]["texts"]["accepted"] = "已登记 {reference}"    # a text the defaults do not say
    profile["dingtalk"]["query_keywords"] = ["进度"]
    gw = make_gateway(sqlite_url, tmp_path, profile=profile, **dingtalk.TABLE.env)
    gw.runtime.clock = lambda: FROZEN
    raw = (dingtalk.TABLE.folder / "text__report.json").read_bytes()
    answer = dingtalk.send_callback(gw.client, raw, dingtalk.TABLE.rows[0])
    assert answer.status == 200 and re.fullmatch(r"已登记 [0-9A-Z-]+", answer.text)
    query = raw.replace("汉阳区钟家村小区3栋门口路灯坏了三天，晚上很黑".encode(), "进度".encode()).replace(
        b"msgENHLyU7ZVWTcq7nyyMM4Wq1==", b"msg-query-1")
    assert "您最近的诉求" in dingtalk.send_callback(gw.client, query, dingtalk.TABLE.rows[0]).text
    gw.runtime.engine.dispose()


def test_the_example_runs_through_the_shared_harness():
    assert dingtalk.TABLE in TABLES and dingtalk.TABLE.rows
