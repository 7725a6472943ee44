from django.urls import path

from shelfai.review import views

urlpatterns = [
    path("", views.queue, name="review-queue"),
    path("photos/<uuid:public_id>/", views.item, name="review-item"),
    path("photos/<uuid:public_id>/displays/", views.display_decide, name="review-display"),
    path("photos/<uuid:public_id>/name/", views.pack_name, name="review-name"),
    path("photos/<uuid:public_id>/not-a-shelf/", views.not_a_shelf, name="review-not-a-shelf"),
    path("photos/<uuid:public_id>/recognise-again/", views.recognise_again, name="review-recognise-again"),
    path("photos/<uuid:public_id>/boxes/remove/", views.box_remove, name="review-box-remove"),
    path("photos/<uuid:public_id>/boxes/add/", views.box_add, name="review-box-add"),
]
