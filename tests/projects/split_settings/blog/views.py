from django.views.generic import DetailView, ListView

from .models import Post


class PostListView(ListView):
    template_name = "blog/post_list.html"
    paginate_by = 10

    def get_queryset(self):
        return Post.objects.published().select_related("author")


class PostDetailView(DetailView):
    template_name = "blog/post_detail.html"

    def get_queryset(self):
        return Post.objects.published().select_related("author")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["comments"] = self.object.comments.filter(approved=True)
        return context
