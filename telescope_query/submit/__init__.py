"""The submission pipeline: from what a user types to one request in the queue.

==================  =========================================================
``target``          pure: a target as one ICRS position, whether it rises at
                    the Teide, its ``objectid`` text
``plan``            pure: every argument checked, a ``SubmissionPlan``
``queue``           the Inbox as ``QueueEntry`` records; which listed request
                    is which (pure)
``never_twice``     pure: what to do after the final ``0-rb-submit``
``send``            the basket flow: carries out ``never_twice``'s decisions
``form``            the legacy ticketed form flow
``batch``           ``submit_missing``
==================  =========================================================

See ``docs/internals.rst``, Submitting.
"""
