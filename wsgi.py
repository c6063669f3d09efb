"""WSGI entry point for production servers: `gunicorn wsgi:app`."""
from gateway.app import create_app

app = create_app()
