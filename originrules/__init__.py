"""originrules: preferential rules of origin as data, decided with reasons.

    import originrules
    bom = originrules.load_bom("bom.json")
    decision = originrules.check(bom, agreement="UAE")
    decision.originating, decision.rule.key, decision.to_dict()
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# The public API, imported on first use: `originrules` on the command line stays quick to start.
_API = {
    "Advice": "originrules.advice",
    "advise": "originrules.advice",
    "what_if": "originrules.advice",
    "find_agreement": ("originrules.registry", "find"),
    "load_ruleset": ("originrules.registry", "load_file"),
    "agreements": ("originrules.registry", "shipped"),
    "Bom": "originrules.bom",
    "Material": "originrules.bom",
    "Product": "originrules.bom",
    "load_bom": "originrules.bom",
    "loads_bom": ("originrules.bom", "loads"),
    "Decision": "originrules.engine",
    "check": "originrules.engine",
    "BomError": "originrules.errors",
    "OriginrulesError": "originrules.errors",
    "RulesetError": "originrules.errors",
    "UnknownAgreement": "originrules.errors",
    "render": "originrules.report",
    "explain": "originrules.report",
    "duty": "originrules.tariff",
    "compare": "originrules.tariff",
    "Store": "originrules.store",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    target = _API.get(name)
    if target is None:
        try:
            return importlib.import_module(f"originrules.{name}")  # submodules: originrules.inputs, ...
        except ModuleNotFoundError:
            raise AttributeError(f"module 'originrules' has no attribute {name!r}") from None
    module, attr = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
