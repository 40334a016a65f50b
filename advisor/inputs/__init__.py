"""Stage 1, inputs: an instance folder's files read, checked and frozen.

The result is an :class:`~advisor.instance.Instance`: ``cells`` parses one cell,
``tables`` one CSV table with located problems, ``settings_file`` reads
``instance.toml``, ``loader`` the whole folder and its cross-file checks.
"""

from advisor.inputs.loader import load_instance

__all__ = ["load_instance"]
