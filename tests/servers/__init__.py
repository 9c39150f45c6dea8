"""Stand-alone servers the suite is run against in tests (never the embedded reference)."""
