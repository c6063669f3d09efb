"""Dispatch suggestions (自动交办): which unit should handle a case, from the city's routing table and from what the
case system's `assigned` updates taught. Plain Python: the gateway stores the counts, this package decides."""
from dispatch.model import (DispatchConfig, MemoryCounts, Prediction, Suggestion, case_features, learned_features,
                            predict)
from dispatch.routing import RoutingTable

__all__ = ["DispatchConfig", "MemoryCounts", "Prediction", "RoutingTable", "Suggestion", "case_features",
           "learned_features", "predict"]
