"""Benchmarks of voxrank's serving stack: one harness, one result schema, Markdown and PNG reports.

Modes: `model` (ONNX Runtime in process), `pipeline` (diarization real-time factor), `http` (load on a
running server over loopback), `gpu` (CUDA/TensorRT suite) and registered external benchmarks;
training's `voxrank-train bench-reference` adds PyTorch measurements in the same schema.
"""
