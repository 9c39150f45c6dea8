"""judge: one pipeline from a transcript to a verdict.

Premises, waivers, coverage, and the diagnosis with its observation vocabulary.
"""
