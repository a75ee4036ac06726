"""ztunnel log analysis: flows, load-balancing fit, failovers, error classes, outlier timelines."""

from __future__ import annotations

from meshlens.analysis.logs.analyze import analyze_logs, chi_square_p
from meshlens.analysis.logs.model import Backend, ErrorCount, Failover, Flow, LogAnalysis, OutlierTimeline

__all__ = ["Backend", "ErrorCount", "Failover", "Flow", "LogAnalysis", "OutlierTimeline", "analyze_logs",
           "chi_square_p"]
