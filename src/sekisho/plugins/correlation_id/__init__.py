"""The `correlation-id` plugin (Kong-compatible)."""
