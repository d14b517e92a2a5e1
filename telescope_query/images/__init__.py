"""The image pipeline: a job's products fetched, verified, cached and opened.

``api``: `get_images`, `download_data`, `cached_frame_starts` (the arguments, then
the pipeline). ``product``: what is fetched (`Product`) and what comes back
(`Fetched`). ``staging``: the image engine's stage -> poll -> download, many
products at once. ``transfer``: one product's bytes into a file. ``cache``: where
verified products live. ``fits``: pure reading of FITS and zip products.
``progress``: progress bars. ``preview``: the quick-look colour composite.

Nothing is imported here: ``telescope_query`` loads the pipeline on first use.
Nothing here imports ``core``, ``session`` or ``legacy``; the client comes in as
an argument (`telescope_query.contract.Client`).
"""
