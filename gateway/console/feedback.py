"""The console's feedback pages: notices to replay or call back (通知), overdue cases (超期督办), and an operator
recording a caller's rating from the case page."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from channels.hotline.schema import MAX_CASE_ID
from gateway.console.auth import signed_in
from gateway.notices import mark_called_back, notices_in_state, replay_parked
from gateway.ratings import RATINGS, rate_reference
from gateway.references import normalize_reference
from gateway.supervision import overdue_cases

bp = Blueprint("feedback", __name__)
CASE = f"/cases/<int(max={MAX_CASE_ID}):case_id>"

STATE_NAMES = {"pending": "待发送", "sent": "已发送", "waiting": "等待市民留言", "callback": "待回电", "done": "已回电",
               "parked": "发送失败", "skipped": "已退订"}
ROUTE_NAMES = {"wechat": "微信", "sms": "短信", "app": "App 回调", "partner": "合作平台回调", "callback": "人工回电"}
RATING_REFUSED = {"not_found": "未找到该编号的诉求", "not_ratable": "该诉求尚未办结，办结后才能评价",
                  "conflict": "该诉求已评价过，评价不能更改"}


def _runtime():
    return current_app.extensions["gateway"]


@bp.app_template_filter("notice_state")
def notice_state(code: str) -> str:
    """A notice's state in Chinese."""
    return STATE_NAMES.get(code, code)


@bp.app_template_filter("notice_route")
def notice_route(code: str) -> str:
    """A notice's route in Chinese."""
    return ROUTE_NAMES.get(code, code)


@bp.get("/notices")
@signed_in()
def notices():
    """Parked notices (replay), call-backs to make (mark done) and notices waiting for a WeChat follower."""
    runtime = _runtime()
    return render_template("console/notices.html", parked=notices_in_state(runtime, "parked"),
                           callbacks=notices_in_state(runtime, "callback"),
                           waiting=notices_in_state(runtime, "waiting"))


@bp.post("/notices/replay")
@signed_in("supervisor")
def replay():
    """Put one parked notice (or all of them) back in line."""
    notice_id = request.form.get("notice_id", "").strip()
    if notice_id and not (notice_id.isdecimal() and len(notice_id) < 19):
        flash("通知编号有误", "error")
        return redirect(url_for("console.feedback.notices"))
    count = replay_parked(_runtime(), [int(notice_id)] if notice_id else None)
    flash(f"已重新排队 {count} 条通知。", "ok")
    return redirect(url_for("console.feedback.notices"))


@bp.post("/notices/<int(max=9223372036854775807):notice_id>/called")
@signed_in()
def called(notice_id: int):
    """The operator called the citizen back and told them."""
    if mark_called_back(_runtime(), notice_id, g.operator.name):
        flash("已标记为已回电。", "ok")
    else:
        flash("该通知不在待回电列表中（可能已被其他坐席处理）。", "error")
    return redirect(request.referrer or url_for("console.feedback.notices"))


@bp.get("/overdue")
@signed_in("supervisor")
def overdue():
    """Open cases past their due date, highest level first."""
    return render_template("console/overdue.html", cases=overdue_cases(_runtime()))


@bp.post(f"{CASE}/rating")
@signed_in()
def rate(case_id: int):
    """An operator records the rating a caller gave by phone."""
    reference = normalize_reference(request.form.get("reference", ""))
    rating = request.form.get("rating", "")
    if rating not in ("1", "2", "3"):
        flash("请选择评价：满意、基本满意或不满意", "error")
        return redirect(url_for("console.cases.show", case_id=case_id))
    comment = request.form.get("comment", "").strip()[:500] or None
    result = rate_reference(_runtime(), reference, rating=int(rating), comment=comment, channel="console",
                            rated_by=g.operator.name)
    if result.outcome in RATING_REFUSED:
        flash(RATING_REFUSED[result.outcome], "error")
    else:
        flash(f"已记录诉求 {reference} 的评价：{RATINGS[result.rating]}。", "ok")
    return redirect(url_for("console.cases.show", case_id=case_id))
