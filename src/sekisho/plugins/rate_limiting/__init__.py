"""The `rate-limiting` plugin (Kong-compatible)."""
