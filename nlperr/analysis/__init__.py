"""Prediction-level error analysis (filled in below)."""
