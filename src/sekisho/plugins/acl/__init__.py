"""The `acl` plugin (Kong-compatible)."""
