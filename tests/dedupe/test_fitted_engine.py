"""The fitted engine: evidence that adds up, a case judged by its best report, templates told apart, repeats."""
from __future__ import annotations

import json

from config.settings import load_profile
from dedupe import Candidate, FittedDeduper, make_deduper
from dedupe.fitted_decoded import DecodedFingerprint
from dedupe.idf import UNSEEN_CHAR_WEIGHT, char_weights
from dedupe.model import SIGNS
from normalizer.normalize import Normalizer
from tests.dedupe.helpers import NOISE_A, NOISE_B, POLICY_1, T0, TEMPLATE_1, TEMPLATE_2, ticket


def _judge(first, second, deduper=None):
    deduper = deduper or FittedDeduper({})
    fp1 = deduper.fingerprint(ticket(*first, ext="a"))
    fp2 = deduper.fingerprint(ticket(*second, ext="b"))
    return deduper.decide(fp2, T0, [Candidate(7, 1, T0, fp1)])


def test_the_profile_chooses_the_engine():
    assert isinstance(make_deduper({"dedupe": {"engine": "fitted"}}), FittedDeduper)
    assert not isinstance(make_deduper({}), FittedDeduper)


def test_evidence_lists_features_and_contributions_that_add_up():
    decision = _judge(NOISE_A, NOISE_B)
    ev = decision.evidence
    assert decision.case_id == 7 and ev["rule"] == "similar report" and "桂苑小区" in ev["shared_names"]
    model = FittedDeduper({}).model
    assert ev["score"] >= ev["threshold"] == model.threshold
    for name, value in ev["contributions"].items():
        assert abs(value - model.coefficients[name] * ev["features"][name]) < 0.01
    assert abs(model.intercept + sum(ev["contributions"].values()) - ev["log_odds"]) < 0.05
    assert json.loads(json.dumps(ev)) == ev


def test_an_exact_repeat_joins_and_a_template_elsewhere_does_not():
    assert _judge(NOISE_A, NOISE_A).case_id == 7
    decision = _judge(TEMPLATE_1, TEMPLATE_2)
    assert decision.case_id is None and decision.evidence["best_match"]["place_conflicts"]


def test_a_case_is_judged_by_its_best_report():
    deduper = FittedDeduper({})
    fp_ok, fp_other = deduper.fingerprint(ticket(*NOISE_A)), deduper.fingerprint(ticket(*POLICY_1))
    decision = deduper.decide(deduper.fingerprint(ticket(*NOISE_B)), T0,
                              [Candidate(3, 1, T0, fp_ok), Candidate(3, 2, T0, fp_other)])
    assert decision.case_id == 3 and decision.evidence["matched_report"] == 1


def test_fingerprint_and_keys_stay_under_one_kilobyte():
    deduper = FittedDeduper({})
    for report in (NOISE_A, TEMPLATE_1, POLICY_1, ("标题", "桂苑小区南门外的烧烤摊营业到凌晨，" * 400)):
        fp = deduper.fingerprint(ticket(*report, citizen="openid-123"))
        keys = deduper.blocking_keys(fp)
        # The stored fingerprint, and one 8-byte report id in the posting row of each of its keys.
        size = len(json.dumps(fp, ensure_ascii=False).encode()) + 8 * len(keys)
        assert size < 1024, size
        assert 0 < len(keys) <= 32


def _features(first, second):
    deduper = FittedDeduper({})
    fp1 = deduper.fingerprint(ticket("", first, ext="a"))
    fp2 = deduper.fingerprint(ticket("", second, ext="b"))
    return deduper.probe(fp2).features(fp1)


def test_telling_characters_carry_one_problem_through_two_wordings():
    # Two citizens, one gas smell in one building, no word of the problem in common but its characters.
    gas_a = "枫汀苑3号楼楼道里一股煤气味，很冲，谁家漏气了吧"
    gas_b = "来电人反映枫汀苑小区3号楼楼道内有明显燃气异味，要求燃气公司上门检查"
    other = "来电人反映槐柳路公交站台的顶棚被大风吹坏，要求尽快修复"
    same, different = _features(gas_a, gas_b)["char_cosine"], _features(gas_a, other)["char_cosine"]
    assert same > 0.4 and same > 3 * different


def test_a_complaint_copied_for_another_place_differs_on_both_sides():
    text = "{p}菜场门口又摆满摊了，车都开不进去，早上七点到十点最堵，城管来了就跑"
    copied = _features(text.format(p="桐荫"), text.format(p="柘溪"))["swap_bigrams"]
    repeated = _features(text.format(p="桐荫"), text.format(p="桐荫"))["swap_bigrams"]
    assert _features(text.format(p="桐荫"), text.format(p="桐荫"))["near_repeat"] > 0.99
    assert _features(text.format(p="桐荫"), text.format(p="柘溪"))["near_repeat"] < 0.9
    follow_up = _features(text.format(p="桐荫"), text.format(p="桐荫") + "，这都第三次反映了")["swap_bigrams"]
    paraphrase = _features(text.format(p="桐荫"), "桐荫菜场门口摊贩占道还是老样子")["swap_bigrams"]
    assert repeated == 0.0 and follow_up == 0.0
    assert copied > 0.1 > paraphrase


def test_after_switching_engines_the_other_engines_reports_are_skipped_not_misread():
    rules, fitted = make_deduper({"dedupe": {"engine": "rules"}}), FittedDeduper({})
    old = rules.fingerprint(ticket(*NOISE_A, ext="a"))
    new = fitted.fingerprint(ticket(*NOISE_A, ext="b"))
    # The same report, filed by the other engine before a city switched: neither engine reads it (no error, no
    # merge on garbage features); each joins a report of its own kind.
    assert fitted.decide(new, T0, [Candidate(7, 1, T0, old)]).case_id is None
    assert rules.decide(old, T0, [Candidate(7, 1, T0, new)]).case_id is None
    assert fitted.decide(new, T0, [Candidate(7, 1, T0, new)]).case_id == 7
    assert rules.decide(old, T0, [Candidate(7, 1, T0, old)]).case_id == 7


def test_door_numbers_far_apart_on_one_road_are_two_places():
    # One burst main reported at one door number; the same wording 1,400 numbers along the road is another burst.
    deduper = FittedDeduper({})
    text = "江岸区解放大道{n}号主水管爆裂，路面大量积水，附近小区全部停水"
    first = deduper.fingerprint(ticket("", text.format(n=354), ext="a"))
    far = deduper.fingerprint(ticket("", text.format(n=1731), ext="b"))
    near = deduper.fingerprint(ticket("", text.format(n=356), ext="c"))
    decision = deduper.decide(far, T0, [Candidate(7, 1, T0, first)])
    assert decision.case_id is None
    assert deduper.decide(near, T0, [Candidate(7, 1, T0, first)]).case_id == 7


def test_a_pasted_link_does_not_swallow_the_report_after_it():
    # Chinese runs on after a pasted link with no space; the report after the link is still what it says.
    text = "枫汀苑3号楼楼道里一股煤气味，很冲，谁家漏气了吧，物业电话打不通，已经闻了一上午了"
    linked = "上次反映的帖子https://example.gov.cn/msg?id=42&p=1还没处理，" + text
    deduper = FittedDeduper({})
    # Every bigram of the report is still read (the link's own are gone).
    assert deduper.fingerprint(ticket("", linked, ext="b"))["n"] > deduper.fingerprint(ticket("", text, ext="a"))["n"]
    assert _judge(("", text), ("", linked)).case_id == 7


def test_a_retelling_years_later_weighs_no_worse_than_one_a_month_later():
    # Citizens re-complain about what was not fixed, months or years on: time apart is bounded evidence, so no fit
    # made on reports days apart can price a late retelling below anything it has seen.
    from datetime import timedelta

    deduper = FittedDeduper({})
    first = deduper.fingerprint(ticket("", "桐荫路口的路灯坏了一个月了，晚上黑乎乎的，希望尽快修好", ext="a"))
    again = deduper.probe(deduper.fingerprint(ticket("", "桐荫路口路灯还是不亮，之前反映过，至今没人修", ext="b")))
    month, year, years = (again.compare(first, T0 + timedelta(days=d), T0).logit for d in (30, 365, 1800))
    assert abs(month - year) < 0.1 and abs(year - years) < 1e-6


# A city's intake form: every report filed through it carries these words, whatever it is about.
_FORM = "诉求地址：{place}。问题描述：{problem}。诉求：请相关部门尽快核查处理，并予以答复。"
_PROBLEMS = ["小区东门路灯连续一周不亮", "楼下餐馆油烟直排进屋", "地下车库入口积水很深", "工地夜间打桩噪音很大",
             "垃圾站恶臭无人清运", "楼道消防通道被杂物堵死", "电梯频繁停运困人", "自来水发黄有异味"]


def _form_report(number: int) -> tuple[str, str]:
    place = f"第{number}号楼"  # a made-up, different place for each report
    return "", _FORM.format(place=place, problem=_PROBLEMS[number % len(_PROBLEMS)])


def test_the_characters_every_report_of_the_city_holds_stop_telling_once_the_index_has_seen_them():
    """Two reports of one intake form about different problems at different places: a fresh index, knowing only
    the language, takes the form's words (诉求, 描述, 核查) for telling characters; an index that has filed the
    city's reports knows every report holds them, so the two share little that tells."""
    fresh = FittedDeduper({})
    seasoned = FittedDeduper({})
    for number in range(400):
        _, grams = seasoned.analyse(ticket(*_form_report(number), ext=f"f{number}"))
        seasoned.observe(grams)
    seasoned.df.refresh()
    lamp = ("", _FORM.format(place="青禾苑南门", problem="路灯坏了一排晚上漆黑"))
    smell = ("", _FORM.format(place="翠屏路菜场", problem="下水道返臭味道刺鼻"))

    def char_cosine(deduper):
        first = deduper.fingerprint(ticket(*lamp, ext="a"))
        second = deduper.fingerprint(ticket(*smell, ext="b"))
        return deduper.probe(second).features(first)["char_cosine"], first["u"]

    fresh_cosine, fresh_chars = char_cosine(fresh)
    seasoned_cosine, seasoned_chars = char_cosine(seasoned)
    form_chars = set("诉求地址问题描述请相关部门尽快核查处理并予以答复")
    assert len(form_chars & set(seasoned_chars)) < len(form_chars & set(fresh_chars))
    assert seasoned_cosine < fresh_cosine / 2
    # What each report is about still tells: its place and its problem are among its characters.
    assert {"禾", "灯"} <= set(seasoned_chars)


def test_a_report_filed_before_the_characters_were_weighed_by_the_corpus_still_compares():
    """A fingerprint of version 4 (characters weighed by jieba's static IDF, no stored weights) stays comparable
    after an upgrade: its characters weigh as they did when it was filed."""
    deduper = FittedDeduper({})
    filed = deduper.fingerprint(ticket(*NOISE_A, ext="a"))
    weights = char_weights()
    static = "".join(sorted(filed["u"], key=lambda c: -weights.get(c, UNSEEN_CHAR_WEIGHT)))
    old = {k: v for k, v in filed.items() if k != "uw"} | {"v": 4, "u": static}
    new = deduper.fingerprint(ticket(*NOISE_B, ext="b"))
    features = deduper.probe(new).features(old)
    expected_mass = sum(weights.get(c, UNSEEN_CHAR_WEIGHT) ** 2 for c in static)
    assert DecodedFingerprint(old).chars_mass == expected_mass
    assert features["char_cosine"] > 0.2
    decision = deduper.decide(new, T0, [Candidate(7, 1, T0, old)])
    assert decision.case_id == 7


def test_a_template_on_another_road_does_not_chain_into_the_case_through_a_report_naming_the_cross_road():
    """Lamps out on one road: an app report names it in its title, a citizen's SMS names it and the cross road.
    The city's form is then filed for the same stretch of another road crossing there: its text is the first
    report's with the road changed, so it shares the cross road and the lamps with the SMS. One case would send
    the crew to one road only; the case holds a report at the other road that is no match, so it stays apart,
    and the new case says which case it was kept from and why."""
    items = [("松涛路路灯不亮", "位置：松涛路胜利路口至青年路口段。问题：这一段两边的路灯好几个晚上都不亮，路上黑得看不见，行人不敢走。"),
             ("", "松涛路靠胜利路那段的路灯全灭了，天黑以后什么都看不清"),
             ("金桂路路灯不亮", "位置：金桂路胜利路口至青年路口段。问题：这一段两边的路灯好几个晚上都不亮，路上黑得看不见，行人不敢走。")]
    deduper = FittedDeduper({})
    filed: list[Candidate] = []
    decisions = []
    for number, (title, text) in enumerate(items, start=1):
        fp = deduper.fingerprint(ticket(title, text, ext=f"r{number}"))
        decision = deduper.decide(fp, T0, list(filed))
        decisions.append(decision)
        filed.append(Candidate(decision.case_id or number, number, T0, fp))
    assert decisions[1].case_id == 1
    assert decisions[2].case_id is None
    held = decisions[2].evidence["held_apart"]
    assert held[0]["case"] == 1 and any("金桂路" in c and "松涛路" in c for c in held[0]["place_conflicts"])
    # Without the rule the SMS report carries the other road's lamps into the case.
    loose = FittedDeduper({"dedupe": {"fitted": {"conflict_holds_apart": False}}})
    assert loose.decide(filed[2].fingerprint, T0, filed[:2]).case_id == 1
    # Had the SMS named the crossing (松涛路胜利路口), the two crossings alone would keep the template apart.
    sms = loose.fingerprint(ticket("", "松涛路胜利路口那段的路灯全灭了，天黑以后什么都看不清", ext="r2b"))
    assert sms["cr"] == [["胜利路", "松涛路"]]
    crossing = [filed[0], Candidate(1, 2, T0, sms)]
    assert loose.decide(filed[2].fingerprint, T0, crossing).case_id is None


def test_a_decision_from_log_odds_scored_before_is_the_decision_scored_anew():
    # The pipeline scores a batch's candidates before its dedupe locks and decides under them with what another
    # batch filed meanwhile added: only the newcomers are scored then, and the decision must be the same.
    deduper = FittedDeduper({})
    reports = [NOISE_A, TEMPLATE_1, POLICY_1, TEMPLATE_2, NOISE_A]
    candidates = [Candidate(10 + n, n + 1, T0, deduper.fingerprint(ticket(*r, ext=f"c{n}")))
                  for n, r in enumerate(reports)]
    new = deduper.fingerprint(ticket(*NOISE_B, ext="new"))
    logits: dict[int, float] = {}
    deduper.score(new, T0, candidates[:3], logits)
    assert sorted(logits) == [1, 2, 3]
    remembered = deduper.decide(new, T0, candidates, logits=logits)
    assert sorted(logits) == [1, 2, 3, 4, 5]
    fresh = FittedDeduper({}).decide(new, T0, candidates)
    # The newest of two equal matches wins (ties go to the newest): one the first pass never scored.
    assert remembered.case_id == fresh.case_id == 14 and remembered.score == fresh.score
    assert remembered.evidence == fresh.evidence


def _city_fingerprint(deduper, text, ext):
    from config.settings import load_profile
    from normalizer.normalize import Normalizer
    tk = ticket("", text, ext=ext)
    tk.normalized = Normalizer(load_profile(None)).normalize(tk)  # the city's topic words come from its profile
    return deduper.fingerprint(tk)


def test_a_case_holding_a_report_about_another_problem_at_the_place_is_not_joined():
    lift = ["榆溪湾小区5栋的电梯坏了一个星期，一直没人修，老人只能爬楼",
            "我家住十八楼，电梯停了三天没人修，每天抱着孩子爬楼"]
    water = "榆溪湾小区5栋今天停水了，到晚上还没来水，也没通知"
    for holds_apart in (True, False):
        deduper = FittedDeduper({"dedupe": {"fitted": {"topic_holds_apart": holds_apart}}})
        case = [Candidate(7, n + 1, T0, _city_fingerprint(deduper, text, f"l{n}")) for n, text in enumerate(lift)]
        decision = deduper.decide(_city_fingerprint(deduper, water, "w"), T0, case)
        if holds_apart:
            # The water cut is alike the first lift report by the compound alone; the case's other lift report is
            # no match and names another problem: a new case, and the evidence says why.
            assert decision.case_id is None
            assert decision.evidence["held_apart"] == [{"case": 7, "report": 2, "topic_conflicts": ["停水 ≠ 电梯"]}]
        else:
            assert decision.case_id == 7
    # A retelling of the lift in other words shares the problem's words and joins.
    deduper = FittedDeduper({})
    case = [Candidate(7, n + 1, T0, _city_fingerprint(deduper, text, f"l{n}")) for n, text in enumerate(lift)]
    retold = _city_fingerprint(deduper, "榆溪湾小区5栋电梯停运好几天了，物业不管", "r")
    assert deduper.decide(retold, T0, case).case_id == 7


def test_a_lift_in_another_building_of_the_compound_is_not_joined():
    lift_3 = ["榆溪湾小区3栋电梯停运三天，物业称在等配件", "榆溪湾3栋电梯又坏了，停了好几天，物业不管"]
    lift_5 = "榆溪湾小区5栋电梯坏了，停了好几天，物业不管"
    for apart in (True, False):
        deduper = FittedDeduper({"dedupe": {"fitted": {"buildings_apart": apart}}})
        case = [Candidate(7, n + 1, T0, deduper.fingerprint(ticket("", text, ext=f"l{n}")))
                for n, text in enumerate(lift_3)]
        decision = deduper.decide(deduper.fingerprint(ticket("", lift_5, ext="n")), T0, case)
        if apart:
            # Building 5's lift is not building 3's: a new case, and the evidence says why.
            assert decision.case_id is None
            assert decision.evidence["held_apart"] == [{"case": 7, "report": 1, "building_conflicts": ["5栋 ≠ 3栋"]}]
        else:
            assert decision.case_id == 7
    # A report with no building number, or the same one, still joins; only the reports that conflict are set aside.
    deduper = FittedDeduper({})
    case = [Candidate(7, n + 1, T0, deduper.fingerprint(ticket("", text, ext=f"l{n}"))) for n, text in enumerate(lift_3)]
    assert deduper.decide(deduper.fingerprint(ticket("", "榆溪湾3号楼电梯还是坏的，什么时候修", ext="s")), T0,
                          case).case_id == 7
    mixed = case + [Candidate(8, 3, T0, deduper.fingerprint(ticket("", lift_5, ext="m")))]
    again = deduper.fingerprint(ticket("", "榆溪湾5栋电梯停了，老人下不了楼", ext="a"))
    assert deduper.decide(again, T0, mixed).case_id == 8


def test_a_road_alone_in_common_is_told_from_a_compound_in_common():
    # A long road hosts many cases (a KTV's noise, a burst main at a crossing): sharing only a road is weaker
    # evidence than sharing a compound, and the fit may weigh it so (`road_only`, which may only count against).
    deduper = FittedDeduper({})
    ktv = deduper.fingerprint(ticket("", "来电人反映：桃溪路锦川商业街欢歌量贩KTV每晚营业至凌晨三点，噪音扰民。", ext="k"))
    main = deduper.probe(deduper.fingerprint(ticket("", "桃溪路与松涛路交叉口地下供水管道破裂，路面积水严重。", ext="m")))
    lift = deduper.fingerprint(ticket("", "桃溪路榆溪湾小区5栋电梯停运三天，物业不管。", ext="l"))
    again = deduper.probe(deduper.fingerprint(ticket("", "榆溪湾小区5栋电梯又坏了，桃溪路这边的物业不管。", ext="a")))
    only_road = main.features(ktv)
    assert only_road["shared_place"] == 1.0 and only_road["road_only"] == 1.0
    both = again.features(lift)
    assert both["shared_place"] == 1.0 and both["road_only"] == 0.0
    assert SIGNS["road_only"] == -1 and deduper.model.coefficients["road_only"] < 0


def test_a_road_in_common_with_two_problems_is_told_from_the_same_problem_on_it():
    # One crossing: its lamps told twice, then rubble dumped there. The two roads are all three share; the city's
    # topic words (路灯 / 建筑垃圾) tell the third apart (`road_topics_apart`, fitted, may only count against).
    profile = load_profile(None)
    deduper, normalizer = FittedDeduper(profile), Normalizer(profile)

    def fingerprint(text, ext):
        return deduper.fingerprint(ticket("", text, ext=ext, normalizer=normalizer))

    lamps = fingerprint("松涛路胜利路口至青年路口段路灯好几个晚上都不亮，路上黑得看不见", "a")
    again = deduper.probe(fingerprint("胜利路口到青年路口松涛路这段的路灯全灭了，天黑以后什么都看不清", "b"))
    rubble = deduper.probe(fingerprint("青年路口到松涛路这边有人半夜往路边倒建筑垃圾，堆成小山了", "c"))
    assert again.features(lamps)["road_only"] == 1.0 and again.features(lamps)["road_topics_apart"] == 0.0
    assert rubble.features(lamps)["road_only"] == 1.0 and rubble.features(lamps)["road_topics_apart"] == 1.0
    assert SIGNS["road_topics_apart"] == -1 and deduper.model.coefficients["road_topics_apart"] < 0
    assert rubble.compare(lamps).logit < 0 < again.compare(lamps).logit
