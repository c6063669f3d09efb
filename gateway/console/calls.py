"""Call entry: the form, its submit, the live duplicate suggestions and the caller's earlier reports."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from gateway.console.auth import signed_in
from channels.errors import ChannelError
from gateway.console.call_entry import read_call_form, submit_call
from gateway.console.display import local_time, ticket_status
from gateway.console.queries import caller_history
from gateway.retention import record_personal_read
from normalizer.pii import mask_phone
from gateway.console.suggestions import suggest_cases
from gateway.hotline.intake import UnknownCase
from gateway.intake import IdempotencyConflict

bp = Blueprint("calls", __name__)

MAX_QUERY_CHARS = 2000


def _runtime():
    return current_app.extensions["gateway"]


def _render_form(call=None, status: int = 200):
    console = current_app.extensions["console"]
    return render_template("console/call_form.html", call=call, form_id=call.form_id if call else str(uuid.uuid4()),
                           districts=console.districts, categories=console.taxonomy.categories,
                           errors=call.errors if call else {}), status


@bp.get("/")
@signed_in()
def home():
    """The console opens on call entry: that is what operators do all day."""
    return redirect(url_for("console.calls.new_call"))


@bp.get("/calls/new")
@signed_in()
def new_call():
    """An empty call-entry form."""
    return _render_form()


@bp.post("/calls")
@signed_in()
def submit():
    """Store the call as a hotline ticket; attached calls go on to their case's page."""
    runtime, console = _runtime(), current_app.extensions["console"]
    call = read_call_form(request.form, districts=console.districts, categories=console.taxonomy,
                          max_text_chars=runtime.settings.section("intake").get("max_text_chars", 20000),
                          region=console.phone_region)
    if call.errors:
        return _render_form(call, 422)
    try:
        acceptance = submit_call(runtime, call, g.operator.name)
    except UnknownCase as exc:
        call.errors["attach_to_case"] = f"案件 {exc.case_id} 不存在"
        return _render_form(call, 422)
    except ChannelError as exc:
        call.errors["form_id"] = "；".join(f"{name}：{'，'.join(map(str, problems))}"
                                           for name, problems in (exc.fields or {}).items()) or exc.message
        return _render_form(call, exc.status)
    except IdempotencyConflict:
        call.errors["form_id"] = "此表单已提交过（内容不同）。如需再登记，请新建来电。"
        return _render_form(call, 409)
    current_app.extensions["gateway_metrics"].submission("hotline", "created" if acceptance.created else "repeat")
    body = acceptance.body
    reference = body["reference"]
    if body.get("emergency"):
        flash(f"紧急情况：{body.get('advice')}", "urgent")
    case_id = body.get("case_id", call.attach_to_case)
    if case_id is not None:
        flash(f"来电已受理，编号 {reference}，已按坐席决定并入案件 {case_id}。", "ok")
        return redirect(url_for("console.cases.show", case_id=case_id, added=reference))
    flash(f"来电已受理，编号 {reference}。", "ok")
    return redirect(url_for("console.calls.new_call"))


@bp.get("/suggest")
@signed_in()
def suggest():
    """Open cases the draft probably belongs to (JSON for the form's script)."""
    args = request.args
    found = suggest_cases(_runtime(), text=args.get("text", "")[:MAX_QUERY_CHARS],
                          address=args.get("address", "")[:300], district=args.get("district", "")[:50],
                          phone=args.get("phone", "")[:40] or None)
    return jsonify({"suggestions": found})


@bp.get("/caller")
@signed_in()
def caller():
    """The caller's earlier reports (JSON for the form's script), with the time and status as operators read them."""
    zone = current_app.extensions["console"].zone
    number = request.args.get("number", "")[:40]
    reports = [dict(r, received_local=local_time(r["received_at"], zone, "%Y-%m-%d %H:%M"),
                    status_name=ticket_status(r["status"]))
               for r in caller_history(_runtime(), number)]
    if reports:
        # Who looked up whose reports: the number masked, the references found.
        record_personal_read(_runtime(), f"operator:{g.operator.name}", "console:caller",
                             detail=f"{mask_phone(number)} → {', '.join(r['reference'] for r in reports)}")
    return jsonify({"reports": reports})
