"""The verdict: pass, fail or inconclusive, per construct and overall."""
