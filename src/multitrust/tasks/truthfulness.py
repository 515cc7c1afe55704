"""Truthfulness tasks."""
