"""An unidentified emergency arrival's placeholder name in both languages (``cases.services.emergency``).

It was written in the language of the clinician who registered her ("Unknown woman, arrived …" or
"身份不明孕产妇，… 到院") and then shown that way to every reader, a Chinese page included. Records
still unidentified and still carrying either placeholder get the bilingual one with the same arrival
time; a name a clinician has typed since is not touched (it no longer matches, or the record is no
longer unidentified).
"""

from django.db import migrations

FORWARD = """
UPDATE cases_patient
   SET name = '身份不明孕产妇 / Unknown woman · ' || substring(name FROM %s), updated_at = now()
 WHERE is_unidentified AND name ~ %s
"""
PATTERNS = (
    ("^身份不明孕产妇，(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}) 到院$",),
    ("^Unknown woman, arrived (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2})$",),
)


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for (pattern,) in PATTERNS:
            cursor.execute(FORWARD, [pattern, pattern])


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_group_grant_grantee_facility")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
