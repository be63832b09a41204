"""The compiler: a checked ruleset -> closures, once per ruleset, indexed by HS code.

    rules.py      CompiledRuleset / CompiledRule / RuleRef: the index, each rule compiled on first use
    compiler.py   Compiler: builds both forms of a rule
    semantics.py  what each test means, stated once
    verdict.py    verdict closures (the law only: for checks and catalogues)
    explain.py    the explaining view (the law with words and figures: a Trace)
    values.py     exact ratio arithmetic, percentages as shown, headroom
    trace.py      Context (what tests read) and Trace (what the explanation is)
"""

from originrules.compile.compiler import Compiler
from originrules.compile.explain import Test
from originrules.compile.rules import CompiledRule, CompiledRuleset, RuleRef, compile_ruleset
from originrules.compile.trace import Context, Trace
from originrules.compile.values import money
from originrules.compile.verdict import Verdict

__all__ = ["CompiledRule", "CompiledRuleset", "Compiler", "Context", "RuleRef", "Test", "Trace", "Verdict", "compile_ruleset", "money"]
