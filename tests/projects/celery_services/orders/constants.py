from orders.models import Status

# Names of all order statuses, e.g. for filters and API validation.
DEFAULT_STATUSES = list(Status.objects.values_list("name", flat=True))
