from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    # Large enough that a street's grids fit on one page of a map.
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
