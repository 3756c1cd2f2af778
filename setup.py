"""The one C extension: durable-rules' engine, vendored and patched (vendor/durable-rules/README.prereview.md),
built inside prereview.durable. Everything else is declared in pyproject.toml."""
from setuptools import Extension, setup

SRC = "vendor/durable-rules/src"
setup(ext_modules=[Extension(
    "prereview.durable.durable_rules_engine",
    sources=[f"{SRC}/rulespy/rules.c"] + [f"{SRC}/rules/{name}.c" for name in ("json", "rete", "state", "events", "regex")],
    include_dirs=[f"{SRC}/rules"],
    extra_compile_args=["-std=c99", "-D_GNU_SOURCE"],
)])
