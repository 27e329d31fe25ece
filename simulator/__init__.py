"""Zhishu operational source simulator: an OLTP database and a clickstream landing folder with planted truth.

Run `python -m simulator generate` (history) or `python -m simulator live` (real-time appends);
see simulator/README.md for the data and the ground truth it plants.
"""
