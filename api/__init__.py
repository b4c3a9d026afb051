"""Plumbing shared by every app's JSON API (errors, pagination) and, in `root`, the NinjaAPI that mounts each
app's router (the routers themselves live in each app's `api.py`)."""
