"""Safety tasks."""
