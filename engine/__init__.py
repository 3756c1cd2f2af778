"""The review pipeline: load a dossier, derive facts, match rules, produce a Review.

The names below are imported on first use (PEP 562), so `prereview --help` or a light submodule such as
`prereview.engine.errors` does not pay for pydantic, the kinds' models and durable-rules.
"""
import importlib

_EXPORTS = {
    "DossierError": "errors", "EngineFailure": "errors", "InputError": "errors", "Problem": "errors",
    "RuleError": "errors",
    "LoadedDossier": "load", "load_dossier": "load", "load_dossier_text": "load",
    "VERDICTS": "review", "Evidence": "review", "Finding": "review", "Review": "review", "run_review": "review",
    "SEVERITIES": "rulebook", "SEVERITY_LABELS": "rulebook", "Rule": "rulebook", "Rulebook": "rulebook",
    "load_rulebook": "rulebook",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
