"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also leave right
after the first purchase, so one-time buyers are not all assumed alive."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from cvm_core.analyses.clv.models.bgnbd import BGNBD


class MBGNBD(BGNBD):
    key = "mbgnbd"
    label = "MBG/NBD"
    modified = True

    @classmethod
    def lifetimes_fitter(cls, lifetimes: ModuleType) -> type:
        return lifetimes.ModifiedBetaGeoFitter

    @classmethod
    def population_share_alive(cls, params: np.ndarray) -> float:
        _, _, a, b = params
        return b / (a + b)
