import redis
from django.conf import settings

# made at import: redis-py builds the pool lazily, but it needs a URL to parse
client = redis.Redis.from_url(settings.REDIS_URL, db=0)
