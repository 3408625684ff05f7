"""URLs of the knowledge app (articles, search, checklist and review)."""

from django.urls import path

from . import views

urlpatterns = [
    path("kb/", views.article_list, name="kb"),
    path("kb/<slug:slug>/", views.article_detail, name="article"),
    path("search/", views.search_page, name="search"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist/add/", views.checklist_add, name="checklist_add"),
    path("checklist/<int:pk>/delete/", views.checklist_delete, name="checklist_delete"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/reveal/", views.review_reveal, name="review_reveal"),
    path("review/<int:pk>/rate/", views.review_rate, name="review_rate"),
]
