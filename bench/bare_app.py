"""The floor for the intake bench: a bare Flask app answering POST /channels/app with a 201 JSON, nothing else.

Served exactly like the gateway (`gunicorn -w 4 -k gthread --threads 4 --chdir bench bare_app:app`), so the
difference between the two is what the gateway's own work costs (auth, parsing, the transaction, the enqueue).
"""
from __future__ import annotations

import uuid

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/channels/app")
def submission():
    """Read the body as the gateway does and answer 201 with a reference."""
    request.get_data(cache=False)
    return jsonify({"reference": uuid.uuid4().hex[:10].upper(), "status": "received"}), 201


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})
