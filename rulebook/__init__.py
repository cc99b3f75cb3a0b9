"""rulebook — OneStop's policy rules engine (work in progress; public API below)."""
