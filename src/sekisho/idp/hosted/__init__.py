"""The hosted UI pages and the browser-facing OAuth2 endpoints of a domain."""
