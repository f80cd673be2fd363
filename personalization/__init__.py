"""Brightcart's support library: everything the assistant knows and decides, without Rasa.

Nothing here imports `rasa` or `rasa_sdk`; `actions/` adapts it to the action server.
"""
