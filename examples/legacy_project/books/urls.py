from django.urls import path, re_path

from . import views

app_name = 'books'

urlpatterns = [
    path('', views.book_list, name='list'),
    re_path(r'^books/(?P<pk>\d+)/$', views.book_detail, name='detail'),
]
