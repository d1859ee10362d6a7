from django.urls import path

from . import views

app_name = "consults"

urlpatterns = [
    path("new/", views.consult_new, name="new"),
    path("board/", views.board, name="board"),
    path("my-actions/", views.my_actions, name="my_actions"),
    path("actions/<uuid:action_id>/done/", views.action_done, name="action_done"),
    path("<uuid:consult_id>/", views.detail, name="detail"),
    path("<uuid:consult_id>/schedule/", views.schedule, name="schedule"),
    path("<uuid:consult_id>/print/", views.consult_print, name="print"),
    path(
        "<uuid:consult_id>/invitations/<uuid:invitation_id>/accept/",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path(
        "<uuid:consult_id>/invitations/<uuid:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation_decline",
    ),
    path("<uuid:consult_id>/opinions/", views.opinion, name="opinion"),
    path("<uuid:consult_id>/sign/", views.sign, name="sign"),
    path("<uuid:consult_id>/conclude/", views.conclude, name="conclude"),
    path("<uuid:consult_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:consult_id>/addenda/", views.addendum, name="addendum"),
]
