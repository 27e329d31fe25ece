"""Support-ticket routing (Chinese and English) with a human-triage fallback for low confidence.

Entry points: :func:`train` (tickets -> model, metrics), ``model.route(df)`` for batches,
``model.score_ticket(subject, body)`` for one ticket, :func:`routing_gate` for promotion.
"""

from ml.routing.gate import routing_gate
from ml.routing.model import HUMAN_TRIAGE, RoutingModel, routing_metrics, ticket_text, train

__all__ = ["HUMAN_TRIAGE", "RoutingModel", "routing_gate", "routing_metrics", "ticket_text", "train"]
