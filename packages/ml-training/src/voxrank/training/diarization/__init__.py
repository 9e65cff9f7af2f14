"""Speaker diarization: data, simulation, models, training, evaluation (inference lives in ml-serving)."""
