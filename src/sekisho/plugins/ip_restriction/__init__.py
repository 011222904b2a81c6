"""The `ip-restriction` plugin (Kong-compatible)."""
