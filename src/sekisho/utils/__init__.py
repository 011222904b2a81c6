"""Small pure helpers shared across the gateway."""
