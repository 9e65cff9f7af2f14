"""PyTorch side of voxrank's benchmarks: eager and torch.compile timings of the models and a
pyannote-architecture reference network, written in voxrank-bench's result schema."""
