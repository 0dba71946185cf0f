from django.urls import path

from . import views

urlpatterns = [
    path('models/', views.ModelList.as_view(), name='model-list'),
    path('models/<int:pk>/', views.ModelDetail.as_view(), name='model-detail'),
    path('sdk/ground_truth_events/', views.GroundTruthEventList.as_view(),
         name='ground-truth-event-list'),
    path('ground_truth_dataset_versions/<int:pk>/', views.DatasetVersionDetail.as_view(),
         name='ground-truth-dataset-version-detail'),
    path('chunked_upload/', views.ChunkedUploadView.as_view(), name='chunked-upload-list'),
    # str, not uuid: a malformed id should get DRF's JSON 404, not Django's HTML one.
    path('chunked_upload/<str:pk>/', views.ChunkedUploadView.as_view(),
         name='chunked-upload-detail'),
    path('media/<path:path>', views.media, name='media'),
]
