from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FrameRange(_message.Message):
    __slots__ = ("start_frame", "n_frames", "rate")
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    N_FRAMES_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    start_frame: int
    n_frames: int
    rate: str
    def __init__(self, start_frame: _Optional[int] = ..., n_frames: _Optional[int] = ..., rate: _Optional[str] = ...) -> None: ...

class RenderRequest(_message.Message):
    __slots__ = ("note", "n_samples", "frames", "sample_rate", "channels", "seed", "loudness", "loudness_preset", "loop", "handle_samples", "handle_frames", "format", "bit_depth", "backend", "voice", "extra_json")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    N_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    LOUDNESS_FIELD_NUMBER: _ClassVar[int]
    LOUDNESS_PRESET_FIELD_NUMBER: _ClassVar[int]
    LOOP_FIELD_NUMBER: _ClassVar[int]
    HANDLE_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FRAMES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_JSON_FIELD_NUMBER: _ClassVar[int]
    note: str
    n_samples: int
    frames: FrameRange
    sample_rate: int
    channels: int
    seed: int
    loudness: float
    loudness_preset: str
    loop: bool
    handle_samples: int
    handle_frames: int
    format: str
    bit_depth: int
    backend: str
    voice: str
    extra_json: str
    def __init__(self, note: _Optional[str] = ..., n_samples: _Optional[int] = ..., frames: _Optional[_Union[FrameRange, _Mapping]] = ..., sample_rate: _Optional[int] = ..., channels: _Optional[int] = ..., seed: _Optional[int] = ..., loudness: _Optional[float] = ..., loudness_preset: _Optional[str] = ..., loop: _Optional[bool] = ..., handle_samples: _Optional[int] = ..., handle_frames: _Optional[int] = ..., format: _Optional[str] = ..., bit_depth: _Optional[int] = ..., backend: _Optional[str] = ..., voice: _Optional[str] = ..., extra_json: _Optional[str] = ...) -> None: ...

class Accepted(_message.Message):
    __slots__ = ("job_id", "key", "cache_hit", "coalesced", "queue_position", "total_samples")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    COALESCED_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    key: str
    cache_hit: bool
    coalesced: bool
    queue_position: int
    total_samples: int
    def __init__(self, job_id: _Optional[str] = ..., key: _Optional[str] = ..., cache_hit: _Optional[bool] = ..., coalesced: _Optional[bool] = ..., queue_position: _Optional[int] = ..., total_samples: _Optional[int] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("fraction", "stage")
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    stage: str
    def __init__(self, fraction: _Optional[float] = ..., stage: _Optional[str] = ...) -> None: ...

class RenderResult(_message.Message):
    __slots__ = ("path", "n_samples", "sample_rate", "channels", "sha256", "provenance_json", "cache_hit", "job_id", "key", "seconds")
    PATH_FIELD_NUMBER: _ClassVar[int]
    N_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_JSON_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    path: str
    n_samples: int
    sample_rate: int
    channels: int
    sha256: str
    provenance_json: str
    cache_hit: bool
    job_id: str
    key: str
    seconds: float
    def __init__(self, path: _Optional[str] = ..., n_samples: _Optional[int] = ..., sample_rate: _Optional[int] = ..., channels: _Optional[int] = ..., sha256: _Optional[str] = ..., provenance_json: _Optional[str] = ..., cache_hit: _Optional[bool] = ..., job_id: _Optional[str] = ..., key: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class RenderEvent(_message.Message):
    __slots__ = ("accepted", "progress", "result")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    accepted: Accepted
    progress: Progress
    result: RenderResult
    def __init__(self, accepted: _Optional[_Union[Accepted, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., result: _Optional[_Union[RenderResult, _Mapping]] = ...) -> None: ...

class BatchItem(_message.Message):
    __slots__ = ("id", "request")
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    id: str
    request: RenderRequest
    def __init__(self, id: _Optional[str] = ..., request: _Optional[_Union[RenderRequest, _Mapping]] = ...) -> None: ...

class RenderBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[BatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[BatchItem, _Mapping]]] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("code", "field", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    field: str
    message: str
    def __init__(self, code: _Optional[str] = ..., field: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class BatchEvent(_message.Message):
    __slots__ = ("id", "accepted", "progress", "result", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    accepted: Accepted
    progress: Progress
    result: RenderResult
    error: ItemError
    def __init__(self, id: _Optional[str] = ..., accepted: _Optional[_Union[Accepted, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., result: _Optional[_Union[RenderResult, _Mapping]] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ...) -> None: ...

class ParseRequest(_message.Message):
    __slots__ = ("note",)
    NOTE_FIELD_NUMBER: _ClassVar[int]
    note: str
    def __init__(self, note: _Optional[str] = ...) -> None: ...

class ParseResponse(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class ListCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Backend(_message.Message):
    __slots__ = ("name", "available", "device", "description", "views")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VIEWS_FIELD_NUMBER: _ClassVar[int]
    name: str
    available: bool
    device: str
    description: str
    views: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., available: _Optional[bool] = ..., device: _Optional[str] = ..., description: _Optional[str] = ..., views: _Optional[_Iterable[str]] = ...) -> None: ...

class SoundModel(_message.Message):
    __slots__ = ("name", "category", "description", "keywords")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    category: str
    description: str
    keywords: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ..., keywords: _Optional[_Iterable[str]] = ...) -> None: ...

class Voice(_message.Message):
    __slots__ = ("name", "backend", "source", "is_default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    backend: str
    source: str
    is_default: bool
    def __init__(self, name: _Optional[str] = ..., backend: _Optional[str] = ..., source: _Optional[str] = ..., is_default: _Optional[bool] = ...) -> None: ...

class LoudnessPreset(_message.Message):
    __slots__ = ("name", "lufs")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LUFS_FIELD_NUMBER: _ClassVar[int]
    name: str
    lufs: float
    def __init__(self, name: _Optional[str] = ..., lufs: _Optional[float] = ...) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("backends", "sound_models", "voices", "loudness_presets", "formats", "sample_rates", "bit_depths", "frame_rates")
    BACKENDS_FIELD_NUMBER: _ClassVar[int]
    SOUND_MODELS_FIELD_NUMBER: _ClassVar[int]
    VOICES_FIELD_NUMBER: _ClassVar[int]
    LOUDNESS_PRESETS_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATES_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTHS_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATES_FIELD_NUMBER: _ClassVar[int]
    backends: _containers.RepeatedCompositeFieldContainer[Backend]
    sound_models: _containers.RepeatedCompositeFieldContainer[SoundModel]
    voices: _containers.RepeatedCompositeFieldContainer[Voice]
    loudness_presets: _containers.RepeatedCompositeFieldContainer[LoudnessPreset]
    formats: _containers.RepeatedScalarFieldContainer[str]
    sample_rates: _containers.RepeatedScalarFieldContainer[int]
    bit_depths: _containers.RepeatedScalarFieldContainer[int]
    frame_rates: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, backends: _Optional[_Iterable[_Union[Backend, _Mapping]]] = ..., sound_models: _Optional[_Iterable[_Union[SoundModel, _Mapping]]] = ..., voices: _Optional[_Iterable[_Union[Voice, _Mapping]]] = ..., loudness_presets: _Optional[_Iterable[_Union[LoudnessPreset, _Mapping]]] = ..., formats: _Optional[_Iterable[str]] = ..., sample_rates: _Optional[_Iterable[int]] = ..., bit_depths: _Optional[_Iterable[int]] = ..., frame_rates: _Optional[_Iterable[str]] = ...) -> None: ...

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_seconds", "max_note_chars", "max_queue", "max_batch", "max_message_bytes")
    MAX_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_NOTE_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_seconds: float
    max_note_chars: int
    max_queue: int
    max_batch: int
    max_message_bytes: int
    def __init__(self, max_seconds: _Optional[float] = ..., max_note_chars: _Optional[int] = ..., max_queue: _Optional[int] = ..., max_batch: _Optional[int] = ..., max_message_bytes: _Optional[int] = ...) -> None: ...

class ServerInfo(_message.Message):
    __slots__ = ("version", "engine_version", "device", "workers", "limits", "output_dir", "cache_dir", "cache_bytes", "cache_max_bytes", "cache_entries", "jobs_running", "jobs_queued", "uptime_seconds", "token_required", "python_version", "pid", "workers_ready")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENGINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    CACHE_DIR_FIELD_NUMBER: _ClassVar[int]
    CACHE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CACHE_MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    CACHE_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    JOBS_RUNNING_FIELD_NUMBER: _ClassVar[int]
    JOBS_QUEUED_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    WORKERS_READY_FIELD_NUMBER: _ClassVar[int]
    version: str
    engine_version: str
    device: str
    workers: int
    limits: Limits
    output_dir: str
    cache_dir: str
    cache_bytes: int
    cache_max_bytes: int
    cache_entries: int
    jobs_running: int
    jobs_queued: int
    uptime_seconds: float
    token_required: bool
    python_version: str
    pid: int
    workers_ready: int
    def __init__(self, version: _Optional[str] = ..., engine_version: _Optional[str] = ..., device: _Optional[str] = ..., workers: _Optional[int] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., output_dir: _Optional[str] = ..., cache_dir: _Optional[str] = ..., cache_bytes: _Optional[int] = ..., cache_max_bytes: _Optional[int] = ..., cache_entries: _Optional[int] = ..., jobs_running: _Optional[int] = ..., jobs_queued: _Optional[int] = ..., uptime_seconds: _Optional[float] = ..., token_required: _Optional[bool] = ..., python_version: _Optional[str] = ..., pid: _Optional[int] = ..., workers_ready: _Optional[int] = ...) -> None: ...
