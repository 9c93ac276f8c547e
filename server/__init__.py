"""The SceneFill daemon: a local gRPC service around the engine (see proto/scenefill/v1/scenefill.proto)."""
