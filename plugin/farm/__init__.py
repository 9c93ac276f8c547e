"""SceneFill on a Ray cluster (``scenefill[farm]``).

* :mod:`.cluster` -- find Ray (or say how to install it) and connect: ``ray://host:10001``,
  ``auto`` inside a cluster, or a local Ray started on the spot.
* :mod:`.tasks` -- what runs on a worker: one render, written straight into a shared media
  directory or returned as bytes.
* :mod:`.ray_renderer` -- :class:`RayRenderer`, the renderer ``--ray`` plugs into fill and conform.
* :mod:`.reels` and :mod:`.cli` -- ``scenefill farm fill``: many timelines as one job.
* :mod:`.serve` -- the engine as a Ray Serve deployment (GPU backends; ``scenefill serve --ray``).

Nothing here imports Ray at module import time: without the extra, the rest of SceneFill
is unchanged and ``--ray`` says how to install it.
"""
