"""The intake list (every channel) and the dead-letter list with replay."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from gateway.console.auth import signed_in
from gateway.console.queries import dead_letters, intake_page, known_channels
from gateway.delivery import replay_dead
from normalizer.ticket import TICKET_STATUSES

bp = Blueprint("lists", __name__)

def _runtime():
    return current_app.extensions["gateway"]


@bp.get("/intake")
@signed_in()
def intake():
    """Every channel's reports, newest first, filterable by channel and status."""
    channel = request.args.get("channel", "").strip()[:32] or None
    status = request.args.get("status", "").strip() or None
    page = request.args.get("page", "1")
    result = intake_page(_runtime(), channel=channel, status=status,
                         page=int(page) if page.isdecimal() and len(page) < 7 else 1)
    return render_template("console/intake.html", result=result, channel=channel, status=status,
                           channels=known_channels(_runtime()), statuses=TICKET_STATUSES)


@bp.get("/dead-letters")
@signed_in()
def dead():
    """Events the case system did not take."""
    return render_template("console/dead_letters.html", events=dead_letters(_runtime()))


@bp.post("/dead-letters/replay")
@signed_in("supervisor")
def replay():
    """Put one dead-lettered event (or all of them) back in line."""
    event_id = request.form.get("event_id", "").strip()
    count = replay_dead(_runtime(), [event_id] if event_id else None)
    flash(f"已重新排队 {count} 个事件。", "ok")
    return redirect(url_for("console.lists.dead"))
