"""Measuring the assistant's understanding on messages it never saw (no Rasa import)."""
