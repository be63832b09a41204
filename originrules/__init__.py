"""originrules: preferential rules of origin as data, decided with reasons.

    import originrules
    decision = originrules.check(originrules.load_bom("bom.json"), agreement="UAE")
    decision.originating, decision.rule.key, decision.to_dict()
"""

__version__ = "0.1.0"

from originrules.agreements import find as find_agreement  # noqa: E402
from originrules.agreements import load_file as load_ruleset  # noqa: E402
from originrules.agreements import shipped as agreements  # noqa: E402
from originrules.bom import Bom, Material, Product, load_bom  # noqa: E402
from originrules.bom import loads as loads_bom  # noqa: E402
from originrules.engine import Decision, check  # noqa: E402
from originrules.advice import Advice, advise, what_if  # noqa: E402
from originrules.report import render  # noqa: E402
from originrules.errors import BomError, OriginrulesError, RulesetError, UnknownAgreement  # noqa: E402

__all__ = [
    "Advice",
    "advise",
    "what_if",
    "Bom",
    "BomError",
    "Decision",
    "Material",
    "OriginrulesError",
    "Product",
    "RulesetError",
    "UnknownAgreement",
    "__version__",
    "agreements",
    "check",
    "find_agreement",
    "load_bom",
    "load_ruleset",
    "loads_bom",
    "render",
]
