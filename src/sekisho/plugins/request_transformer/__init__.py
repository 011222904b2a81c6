"""The `request-transformer` plugin (Kong-compatible)."""
