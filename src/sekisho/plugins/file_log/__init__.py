"""The `file-log` plugin (Kong-compatible)."""
