import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_application = get_wsgi_application()

# POST /api/m2m/greencards/verify takes a lean pipeline (Django's security middlewares only, no URL resolution);
# every other request goes to Django unchanged. Why and what it keeps: docs/adr/0007, onestop/greencards/m2m.py.
from onestop.greencards.m2m import LeanDispatch  # noqa: E402  (after Django is set up)

application = LeanDispatch(django_application)
