"""Zhishu BI-as-code tooling for Superset.

Pure-Python modules (settings, ids, bundle, datasets, dashboards, server) run in either venv and need
only PyYAML; `superset_ops` imports Superset itself and runs only in .venv-superset.
"""
