"""Alert e-mails are written in each recipient's language: one alert, a Chinese and an English reader."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail

from shelfai.alerts import services


def test_a_chinese_finance_user_gets_the_critical_claim_email_in_chinese_an_english_one_in_english(
        people, shop, executed_visit, claim_for):
    from shelfai.accounts.models import Role, User
    from shelfai.claims.evidence import claim_evidence_refresh
    from shelfai.visits.models import AuthenticityFlag

    chinese = people.users["finance"]
    chinese.language = "zh-hans"
    chinese.save(update_fields=["language"])
    User.objects.create_user("finance_en", password="pw", role=Role.FINANCE, email="finance_en@example.com")
    _, photo = executed_visit(shop.start + timedelta(days=2))
    AuthenticityFlag.objects.create(photo=photo, code="near_duplicate", severity="critical", weight=0.0,
                                    reason="This photo is a copy of one taken at another store.")
    claim = claim_evidence_refresh(claim=claim_for())

    services.alerts_evaluate()

    (zh,) = [m for m in mail.outbox if m.to == ["finance@example.com"]]
    (en,) = [m for m in mail.outbox if m.to == ["finance_en@example.com"]]
    assert claim.reference in zh.subject and "证据被标记为严重" in zh.subject
    assert "evidence" not in zh.subject and "Claim" not in zh.subject
    assert "真实性检查标记为严重" in zh.body and f"/claims/{claim.pk}/" in zh.body
    assert en.subject.endswith(f"Claim {claim.reference}: evidence flagged critical (1 photo)")
    assert "rests on photos the authenticity checks flagged critical" in en.body
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.subject + en.body)
