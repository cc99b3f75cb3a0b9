"""Writes of the engagement app, one module per programme: ``events`` (招才引智 / 政策宣讲), ``needs`` (需求榜 and expert
contracts), ``visits`` (万人助万企). Each service validates every field, checks permission (out of scope =
``NotFound``), changes in one transaction with conditional UPDATEs for status changes, and audits."""
