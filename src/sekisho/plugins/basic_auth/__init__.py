"""The `basic-auth` plugin (Kong-compatible)."""
