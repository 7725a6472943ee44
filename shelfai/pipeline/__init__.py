"""The photo's journey: the one package that knows the order of the stages.

upload (visits) -> authenticity (visits.authenticity_services) -> detection (detection.services)
-> scoring (compliance.services) -> placement checks -> claim evidence (claims.evidence).

Each stage service does its own stage, commits its own short transaction and returns; it never
calls the next one. ``stages`` runs them in order, ``status`` holds the Photo status machine,
``dispatch`` hands a photo to the broker, ``sweeper`` re-sends what went missing, and ``tasks``
are the thin Celery entry points. See docs/ARCHITECTURE.md.
"""
