"""Training diagnostics (placeholder)."""
