"""Pure protocol code: payload builders and parsers of telescope.org's answers.

No I/O and no astropy Tables here (see ``docs/internals.rst``):

``user_api``
    the JSON user API (``api-user.php``): forms, answer checks, folder and
    request records, status codes and texts.
``pages``
    the HTML pages: login form detection, request and job views, the job search.
"""
