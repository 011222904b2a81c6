"""The `cors` plugin (Kong-compatible)."""
