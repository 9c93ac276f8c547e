"""Client library and editor adapters (OTIO, Resolve)."""
