"""Plumbing shared by every app's JSON API (the routers themselves live in each app's `api.py`)."""
