from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StreamEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[("status.update", "a post was edited"), ("delete", "a post was deleted")],
                        max_length=16,
                    ),
                ),
                ("post_id", models.BigIntegerField()),
                ("author_id", models.BigIntegerField()),
                ("public", models.BooleanField(default=False)),
                ("audience", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
    ]
