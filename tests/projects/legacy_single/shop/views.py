from django.core.cache import cache
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from shop.models import Product


def product_list(request):
    # imported here: importing the form at module level broke `migrate`
    # on an empty database
    from shop.forms import ProductFilterForm

    products = Product.objects.filter(is_active=True).select_related('category')
    form = ProductFilterForm(request.GET or None)
    if form.is_valid():
        q = form.cleaned_data['q']
        if q:
            products = products.filter(Q(title__icontains=q) | Q(sku__iexact=q))
        if form.cleaned_data['category']:
            products = products.filter(category_id=form.cleaned_data['category'])
        if form.cleaned_data['in_stock_only']:
            products = products.filter(stock__gt=0)
    # the catalogue size shows on every page; counting is slow on a big table
    total = cache.get('shop:product-count')
    if total is None:
        total = Product.objects.filter(is_active=True).count()
        cache.set('shop:product-count', total, 300)
    return render(request, 'shop/product_list.html',
                  {'form': form, 'products': products, 'total': total})


def product_detail(request, sku):
    product = get_object_or_404(Product.objects.select_related('category'), sku=sku, is_active=True)
    return render(request, 'shop/product_detail.html', {'product': product})
