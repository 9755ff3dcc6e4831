"""The web layer: one package per area (pages, JSON API and CLI), registered in app.py."""
