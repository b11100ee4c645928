"""Input and output shapes of the chat API: named fields, types only. The rules are the
services' (community.services.chat)."""

from __future__ import annotations

from rest_framework import serializers


class RoomSerializer(serializers.Serializer):
    slug = serializers.CharField()
    kind = serializers.CharField(help_text="lounge, workshop, project or moderators")
    title = serializers.CharField()
    last_id = serializers.IntegerField(source="last_seq", help_text="the newest message's id")
    unread = serializers.IntegerField(help_text="messages after your read mark")
    slow_mode_seconds = serializers.IntegerField(help_text="0: off")


class AuthorSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="the author's public id")
    name = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    """One message, as the socket sends it too (`type` chat.message)."""

    type = serializers.CharField()
    room = serializers.CharField(help_text="the room's slug")
    id = serializers.IntegerField(help_text="increasing within the room")
    author = AuthorSerializer()
    body = serializers.CharField(help_text="Markdown as written; empty once deleted")
    body_html = serializers.CharField(help_text="sanitised HTML; empty once deleted")
    created_at = serializers.CharField(help_text="UTC, e.g. 2026-11-23T08:00:00Z")
    edited_at = serializers.CharField(allow_null=True)
    deleted = serializers.BooleanField()
    removed_by_moderator = serializers.BooleanField()


class HistorySerializer(serializers.Serializer):
    results = MessageSerializer(many=True, help_text="oldest first")
    before = serializers.IntegerField(
        allow_null=True, help_text="pass as ?before= for the older page; null at the start"
    )


class HistoryQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(
        min_value=1, required=False, help_text="messages with a smaller id than this"
    )
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, default=50)


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Markdown, at most 2000 characters"
    )
