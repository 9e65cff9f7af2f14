"""A faithful fake of the DMM Web Service API v3 for offline runs, tests and benchmarks."""
