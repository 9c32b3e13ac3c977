from django.contrib import admin

from shop.models import Category, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ('name', 'slug', 'position')
    prepopulated_fields = {'slug': ('name',)}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ('sku', 'title', 'category', 'unit_price', 'stock', 'is_active')
    list_filter = ('is_active', 'category')
    list_editable = ('unit_price', 'stock', 'is_active')
    search_fields = ('sku', 'title')
