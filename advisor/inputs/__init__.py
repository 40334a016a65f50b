"""Stage 1, inputs: an instance folder's files read, checked and frozen into an
:class:`~advisor.instance.Instance` (``cells`` parses one cell, ``tables`` one CSV
table with located problems, ``loader`` the whole folder and its cross-file checks).
"""

from advisor.inputs.loader import load_instance

__all__ = ["load_instance"]
