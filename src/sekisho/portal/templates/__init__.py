"""Jinja2 templates of the portal GUI (package data)."""
