from django.db import models
from django.urls import reverse


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ('position', 'name')
        verbose_name_plural = 'categories'

    def __str__(self):
        return self.name


class Product(models.Model):
    category = models.ForeignKey(Category, related_name='products', on_delete=models.PROTECT)
    sku = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    is_active = models.BooleanField(default=True)
    stock = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ('title',)

    def __str__(self):
        return '%s (%s)' % (self.title, self.sku)

    def get_absolute_url(self):
        return reverse('shop:product_detail', args=[self.sku])

    @property
    def in_stock(self):
        return self.stock > 0
