"""Retired check codes: never reused. ``code -> what replaced it (or why it went)``.

A retired code keeps working in ``meshlens explain`` (it prints this note) and is refused by
``tests/test_checks_meta.py`` if an active check claims it again.
"""

from __future__ import annotations

from collections.abc import Mapping

RETIRED: Mapping[str, str] = {}
