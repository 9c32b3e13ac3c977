from django.urls import path

from inventory import views

urlpatterns = [
    path("stock/", views.in_stock, name="in-stock"),
]
