"""The project's URLs plus `POST /bench/bare/`: a bare Django view inserting one row,
the yardstick for the ticket API in bench/intake.py."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_bare"


@csrf_exempt
@require_POST
def bare(request):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (body, at) VALUES (%s, now()) RETURNING id",
            [request.body.decode("utf-8", "replace")[:4000]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/bare/", bare), path("", include("gridgov.urls"))]
handler404 = "gridgov.api.errors.not_found"
handler500 = "gridgov.api.errors.server_error"
