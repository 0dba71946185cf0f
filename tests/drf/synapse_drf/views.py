"""The endpoints of protocol section 3, as DRF views over in-memory data."""

import mimetypes
import re
from collections.abc import Mapping

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from . import serializers
from .data import catalogue
from .uploads import UploadError, store

CONTENT_RANGE = re.compile(r'bytes (\d+)-(\d+)/(\d+)')  # end inclusive


def form_value(request, name):
    # request.data is whatever the body parsed to, e.g. a list for a JSON array.
    return request.data.get(name) if isinstance(request.data, Mapping) else None


class FilteredListView(generics.ListAPIView):
    """A paginated list of in-memory objects, filtered by query parameters
    that a serializer validates (bad values answer 400 with field errors)."""

    filter_serializer_class = None

    def get_queryset(self):
        params = self.filter_serializer_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return self.filter(params.validated_data)

    def filter(self, params):
        raise NotImplementedError


class GroundTruthEventList(FilteredListView):
    serializer_class = serializers.EventSerializer
    filter_serializer_class = serializers.EventFilterSerializer

    def filter(self, params):
        events = catalogue().events  # already ordered by id
        if params.get('ground_truth_dataset_versions'):
            wanted = set(params['ground_truth_dataset_versions'])
            events = [e for e in events if e.version.id in wanted]
        if 'project' in params:
            events = [e for e in events if e.version.project == params['project']]
        if 'created_after' in params:
            events = [e for e in events if e.created_at > params['created_after']]
        if 'data_type' in params:
            events = [e for e in events if e.data_type == params['data_type']]
        if params.get('search'):
            needle = params['search'].casefold()
            events = [e for e in events if needle in e.search_text]
        return events


class DatasetVersionDetail(APIView):
    def get(self, request, pk):
        for version in catalogue().versions:
            if version.id == pk:
                return Response(serializers.DatasetVersionSerializer(version).data)
        raise NotFound()


class ModelList(FilteredListView):
    serializer_class = serializers.MLModelSerializer
    filter_serializer_class = serializers.ModelFilterSerializer

    def filter(self, params):
        # Newest first, like a typical `ordering = ['-created_at']` backend.
        models = sorted(catalogue().model_list(), key=lambda m: (m.created_at, m.id), reverse=True)
        for name in ('project', 'model_type', 'is_active'):
            if params.get(name) is not None:
                models = [m for m in models if getattr(m, name) == params[name]]
        if 'created_after' in params:
            models = [m for m in models if m.created_at > params['created_after']]
        if params.get('search'):
            needle = params['search'].casefold()
            models = [m for m in models
                      if needle in m.name.casefold() or needle in m.description.casefold()]
        return models

    def post(self, request):
        fields = serializers.MLModelCreateSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        values = dict(fields.validated_data)
        upload = values.pop('chunked_upload')
        model = catalogue().add_model(file=upload.media_file(), created_at=timezone.now(),
                                      **values)
        data = serializers.MLModelSerializer(model, context={'request': request}).data
        location = reverse('model-detail', kwargs={'pk': model.id}, request=request)
        return Response(data, status=status.HTTP_201_CREATED, headers={'Location': location})


class ModelDetail(APIView):
    def get(self, request, pk):
        params = serializers.ModelDetailParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        model = next((m for m in catalogue().model_list() if m.id == pk), None)
        if model is None:
            raise NotFound()
        data = serializers.MLModelSerializer(model, context={'request': request}).data
        expand = params.validated_data.get('expand', [])
        if 'evaluations' in expand:
            data['evaluations'] = []
        if 'versions' in expand:
            data['versions'] = [{'version': model.version, 'created_at': data['created_at']}]
        return Response(data)


class ChunkedUploadView(generics.GenericAPIView):
    """drf-chunked-upload's protocol: PUT chunks, POST the MD5 to finish.

    `PUT chunked_upload/` creates an upload from its first chunk, `PUT
    chunked_upload/<id>/` appends one, `POST chunked_upload/<id>/` finishes
    it and `POST chunked_upload/` takes a whole file in one request.
    """

    serializer_class = serializers.UploadSerializer

    def handle_exception(self, exc):
        if isinstance(exc, UploadError):
            return Response(exc.body, status=exc.status_code)
        return super().handle_exception(exc)

    def get(self, request, pk=None):
        if pk is None:
            page = self.paginate_queryset(store().all())
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(store().get(pk)).data)

    def put(self, request, pk=None):
        return Response(self.get_serializer(self.receive_chunk(request, pk)).data)

    def post(self, request, pk=None):
        # Without an id the request carries a whole file, as in drf-chunked-upload.
        upload = self.receive_chunk(request, None, whole=True) if pk is None else None
        md5 = form_value(request, 'md5')
        if not md5:
            raise UploadError(400, detail="Checksum of type 'md5' is required")
        upload = upload or store().get(pk)
        with upload.lock:
            upload.finish(md5)
        return Response(self.get_serializer(upload).data)

    def receive_chunk(self, request, pk, whole=False):
        # Checks in drf-chunked-upload's order, with its messages; the size
        # limit answers 413 where the package answers 400.
        chunk = form_value(request, 'file')
        if chunk is None or isinstance(chunk, str):
            # Also the fate of a body cut short by a dropped connection:
            # Django's multipart parser discards the unfinished file part.
            raise UploadError(400, detail='No chunk file was submitted')
        if whole:
            start, end, total = 0, chunk.size - 1, chunk.size
        else:
            start, end, total = self.content_range(request)
        max_bytes = settings.SYNAPSE['max_upload_bytes']
        if max_bytes and total > max_bytes:
            raise UploadError(413, detail=f'Size of file exceeds the limit ({max_bytes} bytes)')
        if chunk.size != end - start + 1:
            raise UploadError(400, detail=f"File size doesn't match headers: file size is "
                                          f"{chunk.size} but {end - start + 1} reported")
        if pk is None:
            return self.create_upload(request, chunk, start, total)
        upload = store().get(pk)
        with upload.lock:
            upload.check_open()
            if start != upload.offset:
                raise UploadError(400, detail='Offsets do not match',
                                  expected_offset=upload.offset, provided_offset=start)
            if total != upload.size:
                raise UploadError(400, detail=f'Total size {total} does not match the '
                                              f'upload ({upload.size} bytes)')
            upload.append(chunk)
        return upload

    @staticmethod
    def content_range(request):
        match = CONTENT_RANGE.fullmatch(request.META.get('HTTP_CONTENT_RANGE', ''))
        if not match:
            raise UploadError(400, detail='Error in request headers')
        start, end, total = map(int, match.groups())
        if end < start:
            raise UploadError(400, detail='Error in request headers')
        if end >= total:
            raise UploadError(400, detail=f'End of chunk exceeds reported total ({total} bytes)')
        return start, end, total

    @staticmethod
    def create_upload(request, chunk, start, total):
        if start != 0:
            raise UploadError(400, detail='Offsets do not match',
                              expected_offset=0, provided_offset=start)
        fields = serializers.UploadCreateSerializer(data=request.data)
        if not fields.is_valid():
            raise UploadError(400, detail=fields.errors)
        upload = store().create(fields.validated_data['filename'], total)
        with upload.lock:
            upload.append(chunk)
        return upload


@require_safe
def media(request, path):
    """Public file downloads: seeded data files and finished uploads."""
    media_file = catalogue().media.get(path)
    if media_file is not None:
        content_type = mimetypes.guess_type(path)[0] or 'application/octet-stream'
        return HttpResponse(catalogue().media_content(media_file), content_type=content_type)
    upload = store().find_file(path)
    if upload is not None:
        return FileResponse(open(upload.path, 'rb'), filename=upload.filename)
    raise Http404(path)
