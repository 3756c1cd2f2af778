"""The review pipeline: load a dossier, derive facts, match rules, produce a Review."""
from .errors import DossierError, EngineFailure, InputError, Problem, RuleError
from .load import LoadedDossier, load_dossier, load_dossier_text
from .review import VERDICTS, Evidence, Finding, Review, run_review
from .rulebook import SEVERITIES, SEVERITY_LABELS, Rule, Rulebook, load_rulebook

__all__ = [
    "DossierError", "EngineFailure", "InputError", "Problem", "RuleError",
    "LoadedDossier", "load_dossier", "load_dossier_text",
    "VERDICTS", "Evidence", "Finding", "Review", "run_review",
    "SEVERITIES", "SEVERITY_LABELS", "Rule", "Rulebook", "load_rulebook",
]
