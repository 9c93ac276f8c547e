"""SceneFill: exact-length scene audio for video timelines."""

__version__ = "0.1.0"
ENGINE_VERSION = "scenefill-engine/0.5.1"  # bumped when models change their output: calibration caches key on it
