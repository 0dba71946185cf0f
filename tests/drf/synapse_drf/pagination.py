"""Page-number pagination; its own module because DRF imports it while
rest_framework.generics loads, before views.py could finish importing."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class SynapsePagination(PageNumberPagination):
    page_size = settings.SYNAPSE['page_size']
    page_size_query_param = 'page_size'
    max_page_size = 1000
