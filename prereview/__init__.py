"""prereview: 合法性审查预审引擎.

The code lives in the top-level folders engine/, api/, reports/ and the data in
rules/ and checklists/; pyproject.toml installs them as prereview.engine,
prereview.api, prereview.reports, prereview.rules and prereview.checklists.
"""

__version__ = "0.1.0"
