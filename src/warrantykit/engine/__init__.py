"""Evaluation engine: date arithmetic, season calendars and rule evaluation."""
