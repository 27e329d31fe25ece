"""Bring-your-own-data evaluation CLI (``python -m ml evaluate ...``); see :mod:`ml.evaluate.cli`."""
