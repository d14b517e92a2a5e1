"""A local mirror of the account's images, with a ledger beside the files.

``ledger`` (the ECSV ledger, read and written whole), ``plan`` (pure: what to
fetch, keep or check), ``lock`` (one run at a time), ``run`` (the I/O).
Imports nothing: ``core`` loads the modules on first use.
"""
