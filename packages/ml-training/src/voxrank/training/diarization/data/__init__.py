"""Diarization data: corpora on disk, single-speaker sources, simulated conversations, training windows."""
