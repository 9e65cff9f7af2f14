"""The GPU suite's plan: CUDA and TensorRT providers, fp16, IO binding on and off, a batch sweep."""

from __future__ import annotations

from voxrank.serving.bench.model import ModelTarget, Workload

GPU_BATCHES = (1, 2, 4, 8, 16, 32, 64)


def gpu_plan(providers: list[str], target: ModelTarget, input_s: float, threads: int) -> list[Workload]:
    """Every provider x IO binding x batch for one model.

    TensorRT builds its own fp16 engine from an fp32 model (`trt_fp16_enable`); an fp16 export already
    is fp16, so it runs as it is. IO binding keeps tensors on the device, which is how a GPU server
    should run, and the plain run shows what host-device copies cost.
    """
    plan = []
    for provider in providers:
        trt_fp16 = provider == "tensorrt" and target.precision == "fp32"
        for io_binding in (False, True) if provider != "cpu" else (False,):
            plan += [
                Workload(provider, batch, input_s, threads, io_binding=io_binding, fp16=trt_fp16)
                for batch in GPU_BATCHES
            ]
    return plan
