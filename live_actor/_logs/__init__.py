"""The log tools behind :mod:`live_actor.logs` and ``live-actor logs``.

One job per module: ``_jsonroute`` (the opt-in JSON lines handler), ``_reader`` (lines to
event dicts, follow mode), ``_filters``, ``_summary`` (per-session aggregates),
``_timeline`` and ``_table`` (terminal output), ``_html`` (the timeline page) and
``_command`` (the ``logs`` subcommand).
"""
