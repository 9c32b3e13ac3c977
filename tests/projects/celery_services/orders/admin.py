from django.contrib import admin

from .models import Order, Status
from .tasks import index_order_task


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "position", "is_final"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["reference", "customer_email", "status", "total", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference", "customer_email"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        index_order_task.delay(obj.pk)
