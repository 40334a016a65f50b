"""Stage 4, analysis of a solved or unsolvable instance: explain, diagnose, frontier.

What each decision and rule is worth (``explain``), why nothing is feasible
(``diagnose``), and how the best strategy moves as one limit is swept (``frontier``).
Each opens its own solver session through :func:`advisor.solving.session.open_session`.
"""
