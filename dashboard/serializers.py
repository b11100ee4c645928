from __future__ import annotations

from rest_framework import serializers


class ProjectEarningsSerializer(serializers.Serializer):
    project = serializers.UUIDField(help_text="the project's id")
    title = serializers.CharField()
    points = serializers.IntegerField()
    credits = serializers.IntegerField(help_text="how many credit rows make up the points")


class MonthEarningsSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="calendar month in UTC, YYYY-MM")
    points = serializers.IntegerField()
    credits = serializers.IntegerField()


class EarningsSerializer(serializers.Serializer):
    total_points = serializers.IntegerField()
    credits = serializers.IntegerField(help_text="number of credit rows")
    by_project = ProjectEarningsSerializer(many=True, help_text="most points first")
    by_month = MonthEarningsSerializer(many=True, help_text="newest month first")
    what_a_point_is = serializers.CharField()
