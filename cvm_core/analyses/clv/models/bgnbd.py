"""BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases while alive, a Beta-distributed chance
to leave after each repeat purchase. The default model."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from cvm_core.analyses.clv.models.base import ModelSpec

if TYPE_CHECKING:
    from cvm_core.analyses.clv.likelihoods import Scaled


class BGNBD(ModelSpec):
    key = "bgnbd"
    label = "BG/NBD"
    parameter_names = ("r", "alpha", "a", "b")
    modified: ClassVar[bool] = False
    """MBG/NBD: customers may also leave right after their first purchase."""

    @classmethod
    def p_alive(cls, params, x, tx, age) -> np.ndarray:
        """Fader, Hardie & Lee's note 021: 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) for
        repeat buyers, 1 for one-time buyers (BG/NBD lets customers leave only after a repeat
        purchase)."""
        r, alpha, a, b = params
        log_odds = (r + x) * np.log((alpha + age) / (alpha + tx)) + np.log(
            a / (b + np.maximum(x, 1) - 1)
        )
        return np.where(x == 0, 1.0, expit(-log_odds))

    @classmethod
    def loglik_and_gradient(cls, params: np.ndarray, d: Scaled) -> tuple[float, np.ndarray]:
        return _bg_loglik(params, d, cls.modified)

    @classmethod
    def draw_alive_purchases(cls, params, x, age, horizon, rate, rng) -> np.ndarray:
        """Purchases until the one after which the customer leaves: p ~ Beta(a, b + x) given
        survival of x chances (x + 1 for MBG/NBD), the purchases left a geometric count."""
        _, _, a, b = params
        count = rng.poisson(rate * horizon)
        some = count > 0  # the drop-out only matters to those who would buy at all
        b_post = np.broadcast_to(b + x + (1.0 if cls.modified else 0.0), rate.shape)[some]
        leave = np.maximum(rng.beta(a, b_post), 1e-12)
        count[some] = np.minimum(count[some], rng.geometric(leave))
        return count

    @classmethod
    def alive_purchases(cls, params, x, age, t, rate_factor, dropout_factor) -> np.ndarray:
        r, alpha, a, b = params
        shape, rate = r + x, (alpha + age) / rate_factor
        with np.errstate(all="ignore"):
            b_post = b + x + (1.0 if cls.modified else 0.0)
            if dropout_factor != 1.0:
                # Keep a, move b so that the posterior mean a / (a + b) is scaled by dropout_factor.
                b_post = (a + b_post) / dropout_factor - a
            return _bg_alive(shape, rate, a, b_post, t)


def _bg_loglik(params: np.ndarray, d: Scaled, modified: bool) -> tuple[float, np.ndarray]:
    """Weighted BG/NBD (``modified``: MBG/NBD) log-likelihood and its gradient in the parameters.

    Per row: A3 = -(r+x) log(alpha+T) and, for the "left after the last purchase" branch,
    A4 - A3 = c(x) + (r+x) (log(alpha+T) - log(alpha+t_x)), with c(x) = log a - log(b+x-1)
    (BG/NBD, only x > 0) or log a - log(b+x) (MBG/NBD, where leaving is also possible right after
    the first purchase). The row log-likelihood is A3 + softplus(A4 - A3) plus terms in x alone.
    """
    r, alpha, a, b = params
    ux, wx, extra = d.ux, d.wx, 1.0 if modified else 0.0
    per_x = (
        gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + gammaln(a + b)
        + gammaln(b + ux + extra) - gammaln(b) - gammaln(a + b + ux + extra)
    )  # fmt: skip
    grad = np.array(
        [
            wx @ (digamma(r + ux) - digamma(r) + np.log(alpha)),
            wx.sum() * r / alpha,
            wx @ (digamma(a + b) - digamma(a + b + ux + extra)),
            wx
            @ (digamma(a + b) + digamma(b + ux + extra) - digamma(b) - digamma(a + b + ux + extra)),
        ]
    )
    b_x = b + ux - (0.0 if modified else 1.0)  # b+x-1 (BG) or b+x (MBG)
    if modified:
        c = np.log(a) - np.log(b_x)
    else:
        c = np.where(ux > 0, np.log(a) - np.log(np.where(ux > 0, b_x, 1.0)), -np.inf)
    log_T, log_tx = np.log(alpha + d.uT)[d.T_code], np.log(alpha + d.utx)[d.tx_code]
    inv_T, inv_tx = (1.0 / (alpha + d.uT))[d.T_code], (1.0 / (alpha + d.utx))[d.tx_code]
    gap = log_T - log_tx
    rx = r + d.x
    diff = c[d.x_code] + rx * gap
    e = np.exp(-np.abs(diff))
    softplus = np.maximum(diff, 0.0) + np.log1p(e)
    share = np.where(diff > 0, 1.0 / (1.0 + e), e / (1.0 + e))
    w, ws = d.w, d.w * share
    w_rx = r * d.w + d.wx_rows
    ws_rx = ws * rx
    total = wx @ per_x - w_rx @ log_T + w @ softplus
    grad += np.array(
        [
            -(w @ log_T) + ws @ gap,
            -(w_rx @ inv_T) + ws_rx @ (inv_T - inv_tx),
            ws.sum() / a,
            -(np.bincount(d.x_code, ws, len(ux)) @ (1.0 / np.where(b_x > 0, b_x, 1.0))),
        ]
    )
    return float(total), grad


def _bg_alive(shape, rate, a, b, t) -> np.ndarray:
    """(a+b-1)/(a-1) * (1 - (rate/(rate+t))^shape * 2F1(shape, b; a+b-1; t/(rate+t))).

    Evaluated through Euler's transformation, (1-z)^shape 2F1(shape, b; c; z) =
    (1-z)^(a-1) 2F1(c-shape, a-1; c; z) with c = a+b-1: its first two arguments do not grow with
    the customer's frequency, so the series stays small and fast where the direct form overflows
    (lifetimes switches forms only after an overflow). The direct form is the fallback.
    """
    a = a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7  # removable singularity at a = 1
    c = a + b - 1.0
    z = t / (rate + t)
    term = (1.0 - z) ** (a - 1.0) * hyp2f1(c - shape, a - 1.0, c, z)
    bad = ~np.isfinite(term)
    if bad.any():
        direct = np.exp(shape * np.log1p(-z)) * hyp2f1(shape, b, c, z)
        term = np.where(bad, direct, term)
    return np.nan_to_num(c / (a - 1.0) * (1.0 - term), nan=0.0, posinf=0.0, neginf=0.0)
