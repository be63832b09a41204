"""Export-control scenarios for advanced computing items: a second rule domain beside origin.

    import originrules.chips as chips
    d = chips.check({"exporter": {...}, "destination": "IN", "date": "2025-03-01", "end_user": {...},
                     "items": [{"chip": "NVIDIA H100 SXM", "quantity": 1000}]})
    d.licence_required, d.authorization, d.tpp_total, d.to_dict()

The regime is data (rulesets/us-ai-diffusion-2025.regime, grammar/regime.lark; its chips in the
.csv beside it): the countries' tiers, the limits in TPP, and the steps in their order. The US AI
diffusion framework it encodes was rescinded before its compliance date and never enforced:
every answer says so.
"""

from originrules.chips.decide import ChipDecision, Order, check, read_order, whole_numbers
from originrules.chips.regime import Regime, load
from originrules.chips.report import FORMATS, listing, render

__all__ = ["FORMATS", "ChipDecision", "Order", "Regime", "check", "listing", "load", "read_order", "render", "whole_numbers"]
