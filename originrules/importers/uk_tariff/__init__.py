"""A rule-set file of the UK Online Trade Tariff (its `rule_sets/<scheme>.json`) into a ruleset.

    originrules import uk-tariff rule_sets/eu.json -o uk-eu.roo --report eu-report.json

The header comes from the scheme's metadata (`roo_schemes_uk.json`, two folders up) and its
articles (`articles/<scheme>/`): each line read from an article quotes the words it rests on,
and what was looked for and not found is said. Each rule set's prose is parsed by a grammar of
the legal phrasings (prose.lark), one entry at a time; the prose is kept beside each rule as its
citation. A rule set the grammar cannot read is written as an explicit `untranslated` entry
quoting the prose: lint warns, `check` answers undetermined (exit 3) naming it.

One concern a module, data flowing down the list:
    scheme     the whole file: shape, rule sets, the ruleset and its report
    header     the agreement header from metadata and articles (provisions: the tolerances)
    prose      one rule set's entries: normalised, parsed (prose.lark), written (writer)
    materials  the materials rules name in words, as codes (textile stages, named yarns ...)
    report     why an entry was not read, in words
"""

from originrules.importers.uk_tariff.header import agreement_id
from originrules.importers.uk_tariff.materials import MATERIALS
from originrules.importers.uk_tariff.prose import normalise, translate_entry, translate_rule_set
from originrules.importers.uk_tariff.report import Untranslatable
from originrules.importers.uk_tariff.scheme import Imported, import_uk_tariff

__all__ = ["MATERIALS", "Imported", "Untranslatable", "agreement_id", "import_uk_tariff", "normalise", "translate_entry", "translate_rule_set"]
