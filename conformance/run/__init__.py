"""run: resolve the target, check it answers, send the probes in lanes, then call the judge once."""
