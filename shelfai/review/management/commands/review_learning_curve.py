"""Print how many reviewed crops a new SKU needs to be recognised (see ``shelfai.review.learning``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from shelfai.review.grocery_curve import grocery_curve
from shelfai.review.learning import learning_curve


class Command(BaseCommand):
    help = "Learning curve of the recogniser on generated shelves: reviewed crops of a new SKU vs recall."

    def add_arguments(self, parser):
        parser.add_argument("--trials", type=int, default=20)
        parser.add_argument("--first-seed", type=int, default=1000)
        parser.add_argument("--max-crops", type=int, default=3)
        parser.add_argument("--held-out", type=int, default=5, help="held-out shelf photos per trial")
        parser.add_argument("--bare-crops", action="store_true", help="store crops without the backdrop")
        parser.add_argument("--grocery", type=Path, help="a grocery_shelves folder: real brands instead")
        parser.add_argument("--known-refs", type=int, default=3, help="with --grocery: crops per known brand")

    def handle(self, *args, **opts):
        if opts["grocery"]:
            points = grocery_curve(opts["grocery"], max_crops=opts["max_crops"], known_refs=opts["known_refs"])
        else:
            points = learning_curve(trials=opts["trials"], first_seed=opts["first_seed"],
                                    max_crops=opts["max_crops"], held_out=opts["held_out"],
                                    backdrop=not opts["bare_crops"])
        self.stdout.write("crops  new pack recognised   known packs right   known taken for the new one")
        for p in points:
            self.stdout.write(f"{p.crops:>5}  {p.new_found:>4}/{p.new_total:<4} {p.new_recall:6.1%}   "
                              f"{p.known_right:>4}/{p.known_total:<4} {p.known_accuracy:6.1%}   "
                              f"{p.known_taken_for_new:>4}")
