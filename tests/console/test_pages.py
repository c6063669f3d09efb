"""Call entry, suggestions, lists and the case page through the test client, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sqlalchemy import func, select

from gateway import casework
from gateway.tables import tickets
from tests.harness.gateway import OPERATOR_KEY
from tests.console.conftest import signed_in

NOISE = "青山区和平大道施工噪音每天到凌晨两点，严重扰民"
NOISE_CALL = "和平大道施工噪音每天到凌晨两点，请尽快处理"
LOOSER_CALL = "和平大道那个工地施工噪音，每天到凌晨两点，吵得睡不着"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> 路灯坏了三天没人修'


def _plant(gw, text=NOISE, **body):
    reference = gw.post_app({"text": text, **body}).json["reference"]
    gw.drain()
    return reference, gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"]


def _call(console, **fields):
    data = {"form_id": str(uuid.uuid4()), "caller_number": "", "content": NOISE_CALL, "address": "",
            "district": "", "category": "", **fields}
    return console.post("/console/calls", data)


def _threshold(deduper) -> float:
    """The merge threshold of either engine (the fitted one's is its model's)."""
    return deduper.model.threshold if hasattr(deduper, "model") else deduper.settings.threshold


def test_suggestions_name_the_open_case_with_highlighted_evidence(operators):
    gw = operators
    _, case_id = _plant(gw)
    _plant(gw, "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运")
    console = signed_in(gw, "wang")
    found = console.get("/console/suggest", query_string={"text": NOISE_CALL}).json["suggestions"]
    assert [s["case_id"] for s in found] == [case_id]
    top = found[0]
    threshold = _threshold(gw.runtime.deduper)
    assert top["likely"] and top["reports"] == 1 and top["status"] == "open"
    assert top["score"] >= threshold
    # The evidence says why: the text the two share (each engine names it its own way).
    features = top["evidence"].get("features") or top["evidence"]
    assert (features.get("char_cosine") or features.get("text_similarity")) > 0
    marked = "".join(text for text, mark in top["report"]["segments"] if mark)
    assert "施工噪音" in marked and "每天到凌晨两点" in marked
    assert "".join(text for text, _ in top["report"]["segments"]) == NOISE
    # A call worded further off is still offered, as a maybe: the operator, not the threshold, decides.
    looser = console.get("/console/suggest", query_string={"text": LOOSER_CALL}).json["suggestions"]
    assert [s["case_id"] for s in looser] == [case_id]
    assert looser[0]["likely"] == (looser[0]["score"] >= threshold)
    # Too little text, or nothing alike: no suggestion.
    assert console.get("/console/suggest?text=噪音").json == {"suggestions": []}
    assert console.get("/console/suggest", query_string={"text": "医保报销比例是多少，怎么办理异地就医备案"}
                       ).json == {"suggestions": []}


def test_a_call_attached_to_a_case_is_stored_once_with_the_operators_decision(operators, case_system):
    gw = operators
    _, case_id = _plant(gw)
    console = signed_in(gw, "wang")
    form_id = str(uuid.uuid4())
    fields = dict(form_id=form_id, caller_number="138 0013 8000", district="青山区", address="和平大道 88 号",
                  category="城乡建设/城市建设和市政管理/园林绿化环卫", attach_to_case=str(case_id), urgent="1")
    first = _call(console, **fields)
    assert first.status_code == 302 and first.headers["Location"].startswith(f"/console/cases/{case_id}?added=")
    again = _call(console, **fields)  # a double submit of the same form
    assert again.headers["Location"] == first.headers["Location"]
    with gw.runtime.engine.connect() as conn:
        rows = conn.execute(select(tickets).where(tickets.c.channel == "hotline")).all()
    assert len(rows) == 1
    data = rows[0].data
    assert data["external_id"] == f"console:{form_id}" and data["urgent"] is True
    assert data["contact"]["phone"] == "+8613800138000" and data["category"].startswith("城乡建设/")
    assert data["extra"]["attach_to_case"] == case_id and data["extra"]["agent_id"] == "wang"
    assert data["extra"]["district"] == "青山区" and data["location"]["address"] == "青山区 和平大道 88 号"
    assert data["extra"]["entered_by"] == "console" and data["extra"]["attached_by"] == "wang"
    # The same form id with other content is refused, not stored.
    changed = _call(console, **{**fields, "content": "另一件事"})
    assert changed.status_code == 409 and "已提交过" in changed.get_data(as_text=True)
    gw.drain()
    reference = first.headers["Location"].split("added=")[1]
    page = console.get(first.headers["Location"]).get_data(as_text=True)
    assert reference in page and "正在处理" not in page
    assert gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"] == case_id
    assert [e["type"] for e in case_system.accepted()][-1] == "case.report_added"


@pytest.mark.skipif("attach_to_case" not in Path(casework.__file__).read_text(),
                    reason="the pipeline does not honour extra.attach_to_case yet (hotline work in gateway/casework.py)")
def test_the_operators_attach_decision_wins_over_dedupe(operators, case_system):
    gw = operators
    _, case_id = _plant(gw)
    console = signed_in(gw, "wang")
    done = _call(console, content="江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运", attach_to_case=str(case_id))
    reference = done.headers["Location"].split("added=")[1]
    gw.drain()
    assert gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"] == case_id
    decision = console.gateway.get(f"/api/v1/cases/{case_id}", OPERATOR_KEY).json["decisions"][-1]
    assert decision["reference"] == reference and decision["actor"] == "wang"
    assert [e["type"] for e in case_system.accepted()] == ["case.opened", "case.report_added"]


def test_the_form_refuses_what_it_cannot_store(operators):
    console = signed_in(operators, "wang")
    bad = _call(console, content="", caller_number="call me", district="火星区", category="不存在/的/分类",
                attach_to_case="12x", form_id="not-a-uuid")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for message in ("请填写诉求内容", "来电号码格式不正确", "请从列表中选择区", "请从分类列表中选择", "案件编号无效",
                    "表单标识无效"):
        assert message in page
    missing_case = _call(console, attach_to_case="987654")
    assert missing_case.status_code == 422 and "案件 987654 不存在" in missing_case.get_data(as_text=True)
    with operators.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tickets)).scalar() == 0


def test_a_plain_call_comes_back_to_an_empty_form_with_its_reference(operators):
    console = signed_in(operators, "wang")
    done = _call(console, content="小区门口路灯坏了三天")
    assert done.status_code == 302 and done.headers["Location"] == "/console/calls/new"
    page = console.get("/console/calls/new").get_data(as_text=True)
    assert "来电已受理，编号" in page
    emergency = _call(console, content="楼下着火了，浓烟滚滚")
    page = console.get(emergency.headers["Location"]).get_data(as_text=True)
    assert "紧急情况" in page and "119" in page


def test_hostile_text_is_shown_as_text_everywhere(operators):
    gw = operators
    reference, case_id = _plant(gw, HOSTILE)
    console = signed_in(gw, "wang")
    for path in (f"/console/cases/{case_id}", "/console/intake"):
        page = console.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "路灯坏了三天没人修" in page, path
    assert "&lt;script&gt;alert(" in console.get(f"/console/cases/{case_id}").get_data(as_text=True)
    # JSON carries the text exactly (the page's script puts it in with textContent).
    found = console.get("/console/suggest", query_string={"text": HOSTILE}).json["suggestions"]
    assert "".join(t for t, _ in found[0]["report"]["segments"]) == HOSTILE
    # A hostile value typed into the form comes back escaped in the re-drawn form.
    redrawn = _call(console, content=HOSTILE, district="<b>x</b>").get_data(as_text=True)
    assert "<script>alert" not in redrawn and "&lt;script&gt;" in redrawn and "<b>x</b>" not in redrawn


def test_callers_earlier_reports_are_found_by_any_spelling_of_the_number(operators):
    gw = operators
    mine = gw.post_app({"text": "路灯坏了", "contact": {"phone": "13800138000"}}).json["reference"]
    gw.post_app({"text": "别人的诉求", "contact": {"phone": "13900139000"}})
    console = signed_in(gw, "wang")
    called = _call(console, caller_number="+86 138-0013-8000", content="又来电催办路灯")
    assert called.status_code == 302
    for spelling in ("13800138000", "+8613800138000", "138 0013 8000"):
        found = console.get("/console/caller", query_string={"number": spelling}).json["reports"]
        assert len(found) == 2 and found[1]["reference"] == mine, spelling
    assert console.get("/console/caller?number=123").json == {"reports": []}


def test_intake_list_masks_phones_filters_and_pages(operators):
    gw = operators
    for i in range(55):
        # 55 citizens (one number sending 55 reports a minute would be over the per-sender limit).
        gw.post_app({"text": f"第{i}号诉求：路灯坏了，电话13800138000", "contact": {"phone": f"1380013{8000 + i}"}})
    console = signed_in(gw, "wang")
    _call(console, content="来电诉求", caller_number="13912345678")
    first = console.get("/console/intake").get_data(as_text=True)
    assert "共 56 件" in first and "第 1 / 2 页" in first
    assert "13800138000" not in first and "138****8000" in first and "139****5678" in first
    assert first.index("来电诉求") < first.index("第54号诉求")  # newest first
    second = console.get("/console/intake?page=2").get_data(as_text=True)
    assert "第0号诉求" in second and "第54号诉求" not in second
    hotline = console.get("/console/intake?channel=hotline").get_data(as_text=True)
    assert "共 1 件" in hotline
    assert "共 0 件" in console.get("/console/intake?status=delivered").get_data(as_text=True)
    assert console.get("/console/intake?page=abc&status=bogus").status_code == 200


def test_dead_letters_are_listed_and_replayed(operators, case_system):
    gw = operators
    case_system.script = [400]
    _plant(gw, "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运")
    supervisor = signed_in(gw, "li")
    page = supervisor.get("/console/dead-letters").get_data(as_text=True)
    assert "case.opened" in page and "HTTP 400" in page and "重新投递" in page
    operator = signed_in(gw, "wang")
    assert "全部重新投递" not in operator.get("/console/dead-letters").get_data(as_text=True)
    assert supervisor.post("/console/dead-letters/replay").status_code == 302
    assert "已重新排队 1 个事件" in supervisor.get("/console/dead-letters").get_data(as_text=True)
    gw.drain()
    assert [e["type"] for e in case_system.accepted()] == ["case.opened"]
    assert "没有投递失败的事件" in supervisor.get("/console/dead-letters").get_data(as_text=True)


def test_supervisors_merge_cases_from_the_case_page(operators):
    gw = operators
    _, first = _plant(gw)
    _, second = _plant(gw, "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运")
    supervisor = signed_in(gw, "li")
    assert supervisor.post(f"/console/cases/{first}/merge", {"case_id": str(second), "reason": "同一工地"}
                           ).status_code == 302
    page = supervisor.get(f"/console/cases/{first}").get_data(as_text=True)
    assert f"案件 {second} 已并入本案" in page and "强制合并" in page and "同一工地" in page
    again = supervisor.post(f"/console/cases/{first}/merge", {"case_id": str(second)})
    assert "已被合并" in supervisor.get(again.headers["Location"]).get_data(as_text=True)
    assert supervisor.get("/console/cases/99999").status_code == 404


def test_the_case_page_says_which_case_a_report_was_kept_out_of_and_why(operators):
    """A report that was kept out of a look-alike case because that case holds a report at another place: the
    operator reading its new case sees the other case and the two places, not a silent second case."""
    gw = operators
    if not hasattr(gw.runtime.deduper, "judge_cases"):
        pytest.skip("the rules engine never holds a case apart this way")
    form = "位置：{road}胜利路口至青年路口段。问题：这一段两边的路灯好几个晚上都不亮，路上黑得看不见，行人不敢走。"
    _, lamps = _plant(gw, form.format(road="松涛路"), title="松涛路路灯不亮")
    _, joined = _plant(gw, "松涛路胜利路口那段的路灯全灭了，天黑以后什么都看不清")
    _, other = _plant(gw, form.format(road="金桂路"), title="金桂路路灯不亮")
    assert joined == lamps and other != lamps
    page = signed_in(gw, "li").get(f"/console/cases/{other}").get_data(as_text=True)
    assert f"未并入案件 {lamps}" in page and "金桂路 ≠ 松涛路" in page


def test_the_case_page_says_a_report_was_kept_out_of_a_case_about_another_problem(operators):
    """One compound: a lift case (a citizen naming the compound, and a call the operator attached that does not) and
    then a water cut there. The water cut is alike the first lift report by the compound alone, and the attached call
    is about another problem: a case of its own, and its page says which case it was kept out of and why."""
    gw = operators
    if not hasattr(gw.runtime.deduper, "judge_cases"):
        pytest.skip("the rules engine never holds a case apart this way")
    _, lift = _plant(gw, "榆溪湾小区5栋的电梯坏了一个星期，一直没人修，老人只能爬楼")
    attached = _call(signed_in(gw, "wang"), content="5栋电梯停了三天没人修，每天抱着孩子爬十八楼",
                     attach_to_case=str(lift))
    assert attached.headers["Location"].startswith(f"/console/cases/{lift}?added=")
    gw.drain()
    _, water = _plant(gw, "榆溪湾小区5栋今天停水了，到晚上还没来水，也没通知")
    assert water != lift
    page = signed_in(gw, "li").get(f"/console/cases/{water}").get_data(as_text=True)
    assert f"未并入案件 {lift}" in page and "反映的是另一问题（停水 ≠ 电梯）" in page


def test_the_case_page_says_a_report_was_kept_out_of_a_case_in_another_building(operators):
    """Two buildings of one compound, the same broken lift: the second building's report opens its own case, and its
    page says which case it was kept out of and that it is another building."""
    gw = operators
    if not hasattr(gw.runtime.deduper, "judge_cases"):
        pytest.skip("the rules engine never holds a case apart this way")
    _, lift_3 = _plant(gw, "榆溪湾小区3栋电梯停运三天，物业称在等配件，老人只能爬楼")
    _, lift_5 = _plant(gw, "榆溪湾小区5栋电梯停运三天，物业称在等配件，老人只能爬楼")
    assert lift_5 != lift_3
    page = signed_in(gw, "li").get(f"/console/cases/{lift_5}").get_data(as_text=True)
    assert f"未并入案件 {lift_3}" in page and "在另一栋楼（5栋 ≠ 3栋）" in page


def test_the_case_page_explains_each_decision_by_its_weighed_evidence_in_chinese(operators):
    """Two citizens, one broken lamp row on one road: the second report's decision on the case page names the rule and
    the model's largest contributions in Chinese (a shared place for, the scores); a report elsewhere opens its own
    case, and its page names the closest report it did not join and why not."""
    gw = operators
    if not hasattr(gw.runtime.deduper, "judge_cases"):
        pytest.skip("the rules engine gives no contributions")
    _, lamps = _plant(gw, "松涛路胜利路口至青年路口段路灯好几个晚上都不亮，路上黑得看不见", title="松涛路路灯不亮")
    _, joined = _plant(gw, "松涛路胜利路口那段的路灯全灭了，天黑以后什么都看不清")
    assert joined == lamps
    page = signed_in(gw, "li").get(f"/console/cases/{lamps}").get_data(as_text=True)
    assert "规则：与已有诉求相似（similar report）" in page and "规则：新立案件（new case）" in page
    assert "依据（加分为是、减分为否）" in page and "同一地点 +" in page
    _, other = _plant(gw, "桂园小区门口的路灯也坏了一排，晚上黑乎乎的")
    assert other != lamps
    other_page = signed_in(gw, "li").get(f"/console/cases/{other}").get_data(as_text=True)
    assert "规则：新立案件（new case）" in other_page
    assert "最接近的诉求：#" in other_page and "未达阈值" in other_page and "其依据：" in other_page


def test_every_model_feature_has_a_name_operators_read():
    """A feature added to the model without a Chinese name would show operators its code."""
    from dedupe.model import FEATURES
    from gateway.console.display import FEATURE_NAMES, weighed_terms

    assert set(FEATURE_NAMES) == set(FEATURES)
    assert weighed_terms({"contributions": {"shared_place": 2.4, "swap_bigrams": -3.1, "road_only": 0.0}}) == [
        ("仅地名不同的同一文本", "-3.10"), ("同一地点", "+2.40")]
    assert weighed_terms({"rule": "exact repeat"}) == [] and weighed_terms(None) == []
