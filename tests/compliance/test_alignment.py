"""Order on a shelf: the observed left-to-right blocks aligned with the planned order."""

from __future__ import annotations

from shelfai.compliance.alignment import check_order, collapse_runs, lcs_pairs


def test_runs_of_one_sku_are_one_block():
    assert collapse_runs(list("AABBBCA")) == list("ABCA")


def test_lcs_pairs_align_the_longest_common_order():
    pairs = lcs_pairs(list("ABCDE"), list("ACBDE"))

    assert len(pairs) == 4
    assert all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:], strict=False))


def test_a_shelf_in_planned_order_has_nothing_out_of_order():
    check = check_order(list("ABCD"), list("AAABBCCCDD"))

    assert check.out_of_order == ()
    assert check.present == 4


def test_one_moved_block_is_the_only_one_reported():
    check = check_order(list("ABCDEF"), list("ABDEFC"))  # C moved to the end

    assert check.out_of_order == ("C",)
    assert check.in_order == tuple("ABDEF")


def test_products_not_planned_on_this_shelf_and_missing_ones_do_not_count_as_disorder():
    check = check_order(list("ABCD"), list("AXXBDY"))  # C missing, X and Y belong elsewhere

    assert check.out_of_order == ()
    assert check.observed == tuple("ABD")


def test_a_reversed_shelf_keeps_only_one_product_in_order():
    check = check_order(list("ABCD"), list("DCBA"))

    assert len(check.in_order) == 1
    assert len(check.out_of_order) == 3
