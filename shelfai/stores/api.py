"""Master-data reads for integrations and native apps: the SKU catalogue and planograms.

Read-only: the catalogue is kept in the Django admin. Who may read: ``master_data.read`` in the roles
table (every signed-in role). Stores are ``/api/stores/`` (``shelfai.visits.api``: a rep's are the ones
assigned to them today).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shelfai.accounts.roles import Action, Allows
from shelfai.api_errors import BoundedPagination
from shelfai.stores.models import Planogram, PlanogramFacing, Product


class ProductOutput(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.name")
    own_brand = serializers.BooleanField(source="brand.is_own")
    category = serializers.CharField(source="category.name")

    class Meta:
        model = Product
        fields = ["sku", "gtin", "name", "brand", "own_brand", "category", "pack_size", "width_mm", "height_mm",
                  "unit_price", "is_active"]


class PlanogramOutput(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    store = serializers.CharField(source="store.code", allow_null=True, default=None)
    store_group = serializers.CharField(source="store_group.name", allow_null=True, default=None)

    class Meta:
        model = Planogram
        fields = ["id", "name", "category", "store", "store_group", "effective_from", "effective_to", "version",
                  "updated_at"]


class FacingOutput(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")

    class Meta:
        model = PlanogramFacing
        fields = ["position", "sku", "facings"]


class ShelfOutput(serializers.Serializer):
    level = serializers.IntegerField(help_text="1 = top shelf")
    facings = FacingOutput(many=True)


class PlanogramDetailOutput(PlanogramOutput):
    shelves = ShelfOutput(many=True)

    class Meta(PlanogramOutput.Meta):
        fields = [*PlanogramOutput.Meta.fields, "shelves"]


class ProductListApi(APIView):
    permission_classes = [Allows(Action.MASTER_DATA_READ)]
    pagination_class = BoundedPagination

    class FilterSerializer(serializers.Serializer):
        brand = serializers.CharField(required=False, max_length=120)
        category = serializers.CharField(required=False, max_length=120)
        active = serializers.BooleanField(required=False, allow_null=True, default=None)

        class Meta:
            ref_name = "SkuFilter"

    @extend_schema(parameters=[FilterSerializer], responses=ProductOutput(many=True), summary="The SKU catalogue")
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        products = Product.objects.select_related("brand", "category").order_by("sku")
        if f.get("brand"):
            products = products.filter(brand__name=f["brand"])
        if f.get("category"):
            products = products.filter(category__name=f["category"])
        if f.get("active") is not None:
            products = products.filter(is_active=f["active"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(products, request, view=self)
        return paginator.get_paginated_response(ProductOutput(page, many=True).data)


def _planograms():
    return Planogram.objects.select_related("category", "store", "store_group").order_by("-effective_from", "pk")


class PlanogramListApi(APIView):
    permission_classes = [Allows(Action.MASTER_DATA_READ)]
    pagination_class = BoundedPagination

    @extend_schema(responses=PlanogramOutput(many=True), summary="Planograms, newest first")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(_planograms(), request, view=self)
        return paginator.get_paginated_response(PlanogramOutput(page, many=True).data)


class PlanogramDetailApi(APIView):
    permission_classes = [Allows(Action.MASTER_DATA_READ)]

    @extend_schema(responses=PlanogramDetailOutput, summary="A planogram with its shelves and facings")
    def get(self, request: Request, pk: int) -> Response:
        planogram = get_object_or_404(
            _planograms().prefetch_related("shelves__facings__product"), pk=pk)
        return Response(PlanogramDetailOutput(planogram).data)
