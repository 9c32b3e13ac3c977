from decimal import Decimal

from django.db import models


class Status(models.Model):
    name = models.SlugField(max_length=30, unique=True)
    label = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    is_final = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "statuses"

    def __str__(self):
        return self.label


class Order(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    customer_email = models.EmailField()
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="orders")
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.reference

    def as_document(self):
        return {
            "reference": self.reference,
            "customer_email": self.customer_email,
            "status": self.status.name,
            "total": str(self.total),
            "created_at": self.created_at.isoformat(),
        }
