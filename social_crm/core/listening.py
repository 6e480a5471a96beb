"""Listening intelligence: customer segments, spike and crisis detection,
trending phrases and complaint clusters.

Pure Python (never imports ``odoo``): the addon feeds it figures it reads with
SQL, in bounded batches, and stores what it returns.
"""

from __future__ import annotations

#: average sentiment from which a customer counts as a promoter / a detractor
PROMOTER_MIN = 0.25
DETRACTOR_MAX = -0.25
#: influence (0-100) from which an author counts as influential
INFLUENTIAL_MIN = 40.0
