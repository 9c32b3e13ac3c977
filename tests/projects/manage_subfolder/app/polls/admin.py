from django.contrib import admin

from .models import Option, Poll


class OptionInline(admin.TabularInline):
    model = Option
    extra = 2
    readonly_fields = ["votes"]


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["title", "opens_at", "closes_at"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [OptionInline]
