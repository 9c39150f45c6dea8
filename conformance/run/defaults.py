"""The run's defaults the CLI shows in --help, in a module light enough to import at startup
(conformance.run.runner imports the whole pipeline)."""

from __future__ import annotations

# A run ends within this many seconds, reports written, whatever the target does: asking
# stops at 70% of it, judging at 85% (conformance.run.runner._deadline_shares).
DEFAULT_DEADLINE = 280.0
