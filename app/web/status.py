"""A health check for load balancers: the app answers and the database answers."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.web.extensions import db

bp = Blueprint("status", __name__)


@bp.route("/_status")
def status():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
