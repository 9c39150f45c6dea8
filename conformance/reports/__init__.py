"""Reports of a run: data (report.json, exchanges.jsonl) first, formatting apart from checks."""
