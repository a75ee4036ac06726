"""Helpers of ``scripts/capture_samples.py``: an Istio-shaped sidecar configuration for Bookinfo's
productpage, test certificates, istiod's ``/debug/config_dump`` form, and a driver that runs a real
Envoy in a private network namespace and saves its admin output."""
