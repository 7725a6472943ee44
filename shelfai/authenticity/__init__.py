"""Is a photo what it claims to be? Pure checks (no ORM): duplicates by perceptual hash, EXIF time and
place, editing software, re-photographed screens and prints. ``shelfai.visits.authenticity_services``
reads and writes the rows."""
