"""Resources shared by the assets: the landing zone they read and the warehouse they write."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class LandingZone(dg.ConfigurableResource):
    """The folder upstream producers publish into; the pipeline only reads it."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)
