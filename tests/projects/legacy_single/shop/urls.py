from django.conf.urls import url

from shop import views

app_name = 'shop'

urlpatterns = [
    url(r'^$', views.product_list, name='product_list'),
    url(r'^p/(?P<sku>[\w-]+)/$', views.product_detail, name='product_detail'),
]
