from django.contrib import admin
from django.core.cache import cache

from .models import Author, Book, Genre
from .views import BOOK_LIST_CACHE_KEY


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ('name', 'slug')
    prepopulated_fields = {'slug': ('name',)}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ('name', 'born')
    search_fields = ('name',)


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ('title', 'author', 'genre', 'published', 'isbn')
    list_filter = ('genre',)
    search_fields = ('title', 'isbn', 'author__name')
    autocomplete_fields = ('author',)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cache.delete(BOOK_LIST_CACHE_KEY)
