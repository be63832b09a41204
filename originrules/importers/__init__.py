"""Annex texts and tables -> ruleset text (`originrules import ...`): translators with a grammar
of the legal phrasings, never a lookup table of whole sentences."""
