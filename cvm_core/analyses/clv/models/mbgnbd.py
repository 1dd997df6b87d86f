"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also leave right
after the first purchase, so one-time buyers are not all assumed alive."""

from __future__ import annotations

import numpy as np

from cvm_core.analyses.clv.models.bgnbd import BGNBD


class MBGNBD(BGNBD):
    key = "mbgnbd"
    label = "MBG/NBD"
    modified = True

    @classmethod
    def p_alive(cls, params, x, tx, age) -> np.ndarray:
        """Batislam et al. (2007), appendix A eq. (5): one-time buyers may have left too."""
        r, alpha, a, b = params
        return 1.0 / (1.0 + (a / (b + x)) * ((alpha + age) / (alpha + tx)) ** (r + x))

    @classmethod
    def population_share_alive(cls, params: np.ndarray) -> float:
        _, _, a, b = params
        return b / (a + b)
