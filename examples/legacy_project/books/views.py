from django.core.cache import cache
from django.shortcuts import get_object_or_404, render

from .models import Book

BOOK_LIST_CACHE_KEY = 'books:all'


def book_list(request):
    # the search form builds its choices from the database when it is imported
    from .forms import BookSearchForm

    books = cache.get(BOOK_LIST_CACHE_KEY)
    if books is None:
        books = list(Book.objects.select_related('author', 'genre'))
        cache.set(BOOK_LIST_CACHE_KEY, books, 60 * 15)

    form = BookSearchForm(request.GET or None)
    if form.is_valid():
        q = form.cleaned_data['q'].lower()
        genre = form.cleaned_data['genre']
        author = form.cleaned_data['author']
        books = [
            b for b in books
            if (not q or q in b.title.lower())
            and (not genre or (b.genre and b.genre.slug == genre))
            and (not author or str(b.author_id) == author)
        ]
    return render(request, 'books/book_list.html', {'books': books, 'form': form})


def book_detail(request, pk):
    book = get_object_or_404(Book.objects.select_related('author', 'genre'), pk=pk)
    return render(request, 'books/book_detail.html', {'book': book})
