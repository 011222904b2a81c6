"""The `key-auth` plugin (Kong-compatible)."""
