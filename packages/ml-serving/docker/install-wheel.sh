#!/bin/sh
# Install the voxrank-ml-serving wheel found in $1 with the extras in $2, under the constraints in $3.
# Used by the Dockerfile and by tests/test_image_install.py, so the image's install steps are tested
# without Docker (the image sets PIP_NO_CACHE_DIR). With the gpu extra, the CPU build of onnxruntime
# is removed: both packages install the same `onnxruntime` module, and the CPU one would shadow the
# CUDA provider.
set -eu
wheels="$1"
extras="${2:-}"
constraints="$3"
wheel="$(ls "$wheels"/voxrank_ml_serving-*.whl)"
if [ -n "$extras" ]; then
  target="voxrank-ml-serving[$extras] @ file://$wheel"
else
  target="voxrank-ml-serving @ file://$wheel"
fi
python -m pip install --constraint "$constraints" "$target"
case ",$extras," in
  *,gpu,*)
    gpu_requirement="$(python -m pip show onnxruntime-gpu | sed -n 's/^Version: /onnxruntime-gpu==/p')"
    python -m pip uninstall --yes onnxruntime
    python -m pip install --no-deps --force-reinstall --constraint "$constraints" "$gpu_requirement"
    ;;
esac
voxrank-serve --version
