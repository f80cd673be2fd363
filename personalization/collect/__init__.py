"""Getting data in: Segment-style events over HTTP, with the consent and suppression gate."""
