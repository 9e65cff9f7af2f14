"""What the server serves: every model, its version, provider, state and last reload."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from voxrank.serving.api.errors import ApiError, responses
from voxrank.serving.api.schemas import ModelDetail, ModelList, ModelSummary, ReloadInfo
from voxrank.serving.models.manager import ModelManager, ModelSlot, ModelUnavailableError

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get("", response_model=ModelList, summary="Every served model.", responses=responses(401))
def list_models(request: Request) -> ModelList:
    manager: ModelManager = request.app.state.manager
    return ModelList(models=[_summary(slot) for slot in manager.slots()])


@router.get(
    "/{name}", response_model=ModelDetail, summary="One model in detail.", responses=responses(401, 404)
)
def get_model(
    request: Request, name: str = Path(description="Model name, e.g. diarization-fastcnn.")
) -> ModelDetail:
    manager: ModelManager = request.app.state.manager
    try:
        slot = manager.slot(name)
    except ModelUnavailableError as error:
        raise ApiError(404, str(error)) from error
    current = slot.current
    return ModelDetail(
        **_summary(slot).model_dump(),
        providers=current.runner.providers if current else [],
        spec=slot.spec,
        available_versions=manager.available_versions(name),
        draining_versions=[model.version for model in slot.draining],
        rejected_versions=dict(slot.rejected),
        in_flight=current.in_flight if current else 0,
    )


def _summary(slot: ModelSlot) -> ModelSummary:
    current = slot.current
    last = slot.last_reload
    return ModelSummary(
        name=slot.name,
        state=slot.state,
        version=current.version if current else None,
        task=current.manifest.task if current else None,
        provider=current.provider if current else None,
        last_reload=ReloadInfo(**vars(last)) if last else None,
    )
