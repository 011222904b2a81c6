"""Admin endpoints that are not generated from entity schemas (Kong's kong/api/routes/*.lua)."""
