"""The case page: every report, the evidence of each decision, and the supervisors' unmerge and merge."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from channels.case_ids import MAX_CASE_ID
from gateway.case_admin import CaseActionRefused, merge, unmerge
from gateway.console.auth import back_to_referrer, signed_in
from gateway.reads import case_view
from gateway.references import normalize_reference

bp = Blueprint("cases", __name__)
# A case number beyond the store's ids is no case: 404 here, rather than an overflow in the database driver.
CASE = f"/cases/<int(max={MAX_CASE_ID}):case_id>"

ACTIONS = {"opened": "立案", "joined": "自动并案", "unmerged": "拆分移出", "merged": "强制合并"}


def _runtime():
    return current_app.extensions["gateway"]


@bp.get(CASE)
@signed_in()
def show(case_id: int):
    """A case with its reports and the evidence of every merge."""
    view = case_view(_runtime(), case_id)
    if view is None:
        abort(404)
    added = request.args.get("added", "")
    waiting = added and all(r["reference"] != added for r in view["report_list"])
    return render_template("console/case.html", case=view, actions=ACTIONS, waiting=added if waiting else None)


@bp.get("/cases")
@signed_in()
def find():
    """Jump to a case by its number."""
    number = request.args.get("id", "").strip()
    if not number.isdecimal() or len(number) > 18:
        flash("请输入案件编号（数字）", "error")
        return redirect(back_to_referrer())
    return redirect(url_for("console.cases.show", case_id=int(number)))


def _reason() -> str | None:
    return request.form.get("reason", "").strip()[:500] or None


@bp.post(f"{CASE}/unmerge")
@signed_in("supervisor")
def post_unmerge(case_id: int):
    """A supervisor takes one report out of the case."""
    reference = normalize_reference(request.form.get("reference", ""))
    try:
        new_id = unmerge(_runtime(), case_id, reference, g.operator.name, _reason())
    except CaseActionRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("console.cases.show", case_id=case_id))
    flash(f"诉求 {reference} 已移出，成为案件 {new_id}。", "ok")
    return redirect(url_for("console.cases.show", case_id=case_id))


@bp.post(f"{CASE}/merge")
@signed_in("supervisor")
def post_merge(case_id: int):
    """A supervisor joins another case's reports into this one."""
    other = request.form.get("case_id", "").strip()
    if not other.isdecimal() or len(other) > 15:
        flash("请输入要并入的案件编号（数字）", "error")
        return redirect(url_for("console.cases.show", case_id=case_id))
    try:
        moved = merge(_runtime(), case_id, int(other), g.operator.name, _reason())
    except CaseActionRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("console.cases.show", case_id=case_id))
    flash(f"案件 {other} 已并入本案（{len(moved)} 件诉求）。", "ok")
    return redirect(url_for("console.cases.show", case_id=case_id))
