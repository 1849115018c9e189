"""Messages become direct posts (kith.social.Post, visibility DIRECT) grouped by conversation.

Each old message becomes a post with the same id (so read state carries over) whose
audience is the conversation's other participants; each direct post that belonged to no
conversation becomes a conversation of its own, between its author and its audience.
Direct posts leave the streams: they are read in conversations.
"""

import django.db.models.deletion
from django.db import migrations, models

import kith.core.ids


def forwards(apps, schema_editor):
    OldMessage = apps.get_model("messaging", "OldMessage")
    Message = apps.get_model("messaging", "Message")
    Conversation = apps.get_model("messaging", "Conversation")
    Participant = apps.get_model("messaging", "ConversationParticipant")
    Post = apps.get_model("social", "Post")
    PostAudience = apps.get_model("social", "PostAudience")
    StreamEntry = apps.get_model("timelines", "StreamEntry")

    members: dict[int, list[int]] = {}
    for conversation_id, person_id in Participant.objects.values_list("conversation_id", "person_id"):
        members.setdefault(conversation_id, []).append(person_id)
    remap: dict[int, int] = {}
    for old in OldMessage.objects.order_by("id").iterator():
        post_id = old.id if not Post.objects.filter(id=old.id).exists() else kith.core.ids.new_id()
        remap[old.id] = post_id
        post = Post.objects.create(
            id=post_id, author_id=old.author_id, visibility="direct", source=old.source, html=old.html,
            created_at=old.created_at,
        )
        PostAudience.objects.bulk_create(
            PostAudience(post_id=post.id, person_id=pid)
            for pid in members.get(old.conversation_id, []) if pid != old.author_id
        )
        Message.objects.create(post_id=post.id, conversation_id=old.conversation_id)
    for participant in Participant.objects.exclude(last_read_message_id=0):
        read = [new for old, new in remap.items() if old <= participant.last_read_message_id]
        participant.last_read_message_id = max(read, default=0)
        participant.save(update_fields=["last_read_message_id"])
    for conversation in Conversation.objects.all():
        last = Message.objects.filter(conversation=conversation).order_by("-post_id").values_list("post_id", flat=True).first()
        conversation.last_message_id = last or 0
        conversation.save(update_fields=["last_message_id"])

    for post in Post.objects.filter(visibility="direct", message__isnull=True).order_by("id").iterator():
        conversation = Conversation.objects.create(
            id=kith.core.ids.new_id(), author_id=post.author_id, last_message_at=post.created_at, last_message_id=post.id
        )
        people = {post.author_id, *PostAudience.objects.filter(post=post).values_list("person_id", flat=True)}
        Participant.objects.bulk_create(
            Participant(
                conversation=conversation, person_id=pid,
                last_read_message_id=post.id if pid == post.author_id else 0,
            )
            for pid in sorted(people)
        )
        Message.objects.create(post=post, conversation=conversation)
    StreamEntry.objects.filter(post__visibility="direct").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0002_initial"),
        ("social", "0005_post_author_stats_idx"),
        ("timelines", "0002_markers_filters"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="message", name="message_conversation_idx"),
        migrations.RenameModel("Message", "OldMessage"),
        migrations.AlterField(
            model_name="oldmessage",
            name="conversation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="messaging.conversation"
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="last_message_id",
            field=models.BigIntegerField(db_index=True, default=0),
        ),
        migrations.CreateModel(
            name="Message",
            fields=[
                (
                    "post",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="message",
                        serialize=False, to="social.post",
                    ),
                ),
                (
                    "conversation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="messages",
                        to="messaging.conversation",
                    ),
                ),
            ],
            options={"indexes": [models.Index(fields=["conversation", "post"], name="message_conversation_idx")]},
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel("OldMessage"),
    ]
