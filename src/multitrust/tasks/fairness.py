"""Fairness tasks."""
