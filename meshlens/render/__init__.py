"""Renderers: a result as text, JSON, SARIF or JUnit for the command line; they compute nothing."""
