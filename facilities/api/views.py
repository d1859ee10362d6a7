from drf_spectacular.utils import extend_schema, extend_schema_view

from core.api.views import ERROR_RESPONSES, ScopedReadOnlyViewSet
from facilities.filtersets import FacilityFilterSet
from facilities.selectors import facility_list

from .serializers import FacilitySerializer


@extend_schema_view(
    list=extend_schema(summary="Facility directory"),
    retrieve=extend_schema(summary="One facility", responses={200: FacilitySerializer, **ERROR_RESPONSES}),
)
class FacilityViewSet(ScopedReadOnlyViewSet):
    """The network's facilities with tier, critical-care designation and capabilities."""

    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet

    def scoped_queryset(self, actor):
        return facility_list(actor=actor)
