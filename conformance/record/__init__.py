"""record: the one door to the network and the transcript it writes (client, recording, rate limit, redaction)."""
