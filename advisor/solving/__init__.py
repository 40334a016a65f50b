"""Stage 3, solving: the ranked strategies of an instance.

``pipeline.solve`` reads as its steps: resolve the settings (``settings``), open a
solver session on the model (``session``, the only code that touches Pyomo's or
highspy's private parts), search (``cuts``: no-good cuts on the MILP;
``packages``: the offer-package branch and bound, with ``reduction``'s dominated
tiers), the scenario measures (``measures``), and assemble the
:class:`~advisor.results.Result`. ``runtime`` holds HiGHS's process-wide state
(quiet stdout, thread pool, wall-clock guard).
"""
