"""judge: the one pipeline from a transcript to a verdict (premises, waivers, coverage, diagnosis and its observation vocabulary)."""
