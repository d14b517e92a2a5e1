"""When targets can be observed from the Observatorio del Teide (``observability``).

Imports nothing: ``core`` loads the module on first use.
"""
