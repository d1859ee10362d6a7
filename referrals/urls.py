from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("<uuid:referral_id>/", views.referral_detail, name="detail"),
    path("<uuid:referral_id>/letter/", views.referral_letter, name="letter"),
    path("<uuid:referral_id>/return-slip/", views.referral_return_slip, name="return_slip"),
    path("<uuid:referral_id>/accept/", views.referral_accept, name="accept"),
    path("<uuid:referral_id>/decline/", views.referral_decline, name="decline"),
    path("<uuid:referral_id>/redirect/", views.referral_redirect, name="redirect"),
    path("<uuid:referral_id>/cancel/", views.referral_cancel, name="cancel"),
    path("<uuid:referral_id>/depart/", views.referral_depart, name="depart"),
    path("<uuid:referral_id>/arrive/", views.referral_arrive, name="arrive"),
    path("<uuid:referral_id>/complete/", views.referral_complete, name="complete"),
    path("<uuid:referral_id>/messages/", views.referral_comment, name="comment"),
]
