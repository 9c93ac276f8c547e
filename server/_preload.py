"""Imported once in the worker pool's forkserver (or in each spawned worker): load the
engine and run one tiny render, so forked workers start warm and the first job is fast."""

from scenefill.engine.api import render_to_file

from .workers import warm_up

warm_up(render_to_file)
WARM = True
