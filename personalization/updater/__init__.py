"""Conversation events from Rasa's event broker into interaction history."""
