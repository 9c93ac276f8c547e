"""The scene engine: note -> caption -> scene spec -> stems -> mix -> exact-length file.

Public entry points live in :mod:`scenefill.engine.api`.
"""
