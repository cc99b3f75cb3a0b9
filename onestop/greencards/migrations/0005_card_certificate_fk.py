"""The card refers to its certificate by a foreign key instead of the certificate number (``certificate_ref``).

Forward: add ``certificate``, set it from each card's number (the certificate with that number *and* the card's
holder), then drop the number. A card whose number names no certificate of its holder stops the migration with the
list of such cards: dropping the number would lose the link silently, and guessing would tie a card to someone
else's certificate. Nothing is half-done — the migration runs in one transaction on SQLite and PostgreSQL.
Backward: the number comes back from the certificate.
"""

import django.db.models.deletion
from django.db import migrations, models


def numbers_to_certificates(apps, schema_editor):
    GreenCard = apps.get_model("greencards", "GreenCard")
    Certificate = apps.get_model("talents", "Certificate")
    unmatched = []
    cards = GreenCard.objects.exclude(certificate_ref="").values_list("pk", "card_id", "holder_id", "certificate_ref")
    for pk, card_id, holder_id, number in cards.iterator():
        certificate_id = (Certificate.objects.filter(number=number, profile__user_id=holder_id)
                          .values_list("pk", flat=True).first())
        if certificate_id is None:
            unmatched.append(f"{card_id} ({number})")
            continue
        GreenCard.objects.filter(pk=pk).update(certificate_id=certificate_id)
    if schema_editor.connection.vendor == "postgresql":
        # The new foreign key's checks are deferred; run them now, or dropping the column below fails with
        # "pending trigger events".
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if unmatched:
        raise RuntimeError(
            "green cards whose certificate number names no certificate of their holder: " + ", ".join(unmatched)
            + " — correct certificate_ref (or clear it for a card issued without a certificate) and migrate again")


def certificates_to_numbers(apps, schema_editor):
    GreenCard = apps.get_model("greencards", "GreenCard")
    for pk, number in (GreenCard.objects.filter(certificate__isnull=False)
                       .values_list("pk", "certificate__number").iterator()):
        GreenCard.objects.filter(pk=pk).update(certificate_ref=number)


class Migration(migrations.Migration):

    dependencies = [
        ("greencards", "0004_verification_composite_indexes_only"),
        ("talents", "0003_cert_event_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="greencard",
            name="certificate",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="green_cards", to="talents.certificate", verbose_name="认定证书"),
        ),
        migrations.RunPython(numbers_to_certificates, certificates_to_numbers),
        migrations.RemoveField(
            model_name="greencard",
            name="certificate_ref",
        ),
    ]
