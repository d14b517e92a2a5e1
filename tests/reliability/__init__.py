"""The reliability and security suite: faults, bad input, hostile
answers, secrets, isolation and concurrency. ``docs/reliability.rst`` tabulates
it and ``test_docs_page.py`` keeps the two in step."""
