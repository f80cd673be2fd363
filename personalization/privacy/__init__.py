"""Data subject requests (access, erasure), consent in the conversation, audit and safe logs."""
