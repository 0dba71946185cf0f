"""DRF serializers: the JSON shape of every object, and input validation.

Validation goes through DRF fields so that bad input is answered with DRF's
own field-error bodies, e.g. {"model_type": ["\\"x\\" is not a valid choice."]}.
"""

from urllib.parse import quote

from rest_framework import serializers
from rest_framework.reverse import reverse

from .data import DATA_TYPES, KST, MODEL_TYPES
from .uploads import store


def media_url(request, media_file):
    # Absolute and built from the request's Host header, as DRF's own
    # FileField does, so clients behind a proxy get URLs through the proxy.
    url = request.build_absolute_uri('/media/' + quote(media_file.path))
    return f'{url}?{media_file.query}' if media_file.query else url


class MediaURLField(serializers.Field):
    def to_representation(self, value):
        return media_url(self.context['request'], value)


class DatasetVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.CharField()
    ground_truth_dataset = serializers.JSONField()
    project = serializers.IntegerField()
    event_count = serializers.IntegerField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField(default_timezone=KST)
    statistics = serializers.JSONField()


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    data = serializers.JSONField()
    data_unit = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    ground_truth_dataset_version = serializers.IntegerField(source='version.id')
    created_at = serializers.DateTimeField(default_timezone=KST)
    metadata = serializers.JSONField()
    annotator = serializers.JSONField()
    review_status = serializers.CharField()

    def get_data_unit(self, event):
        request = self.context['request']
        files = {key: {'url': media_url(request, media_file), 'size': media_file.size,
                       'checksum': media_file.checksum}
                 for key, media_file in event.files.items()}
        return {**event.data_unit, 'files': files}

    def get_files(self, event):
        request = self.context['request']
        return {key: media_url(request, media_file) for key, media_file in event.files.items()}


class MLModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    model_type = serializers.CharField()
    file = MediaURLField()
    file_size = serializers.IntegerField(source='file.size')
    metrics = serializers.JSONField()
    configuration = serializers.JSONField()
    project = serializers.IntegerField()
    is_active = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class MLModelCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default='')
    model_type = serializers.ChoiceField(choices=MODEL_TYPES)
    project = serializers.IntegerField(min_value=1)
    chunked_upload = serializers.UUIDField()
    metrics = serializers.DictField(required=False, default=dict)
    configuration = serializers.DictField(required=False, default=dict)
    is_active = serializers.BooleanField(required=False, default=True)

    def validate_chunked_upload(self, value):
        upload = store().find(value)
        if upload is None:
            # PrimaryKeyRelatedField's wording, as a real foreign key would answer.
            raise serializers.ValidationError(f'Invalid pk "{value}" - object does not exist.')
        if not upload.complete:
            raise serializers.ValidationError('Upload is not complete.')
        return upload


class UploadSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()
    filename = serializers.CharField()
    offset = serializers.IntegerField()
    size = serializers.IntegerField()
    status = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires = serializers.DateTimeField(source='expires_at')
    completed_at = serializers.DateTimeField()
    checksum = serializers.CharField()

    def get_url(self, upload):
        return reverse('chunked-upload-detail', kwargs={'pk': str(upload.id)},
                       request=self.context['request'])

    def get_file(self, upload):
        if not upload.complete:
            return None
        return media_url(self.context['request'], upload.media_file())


class UploadCreateSerializer(serializers.Serializer):
    """The multipart fields of the request that creates an upload."""

    filename = serializers.CharField(max_length=255)
    file = serializers.FileField()

    def validate_filename(self, value):
        # Keep the base name only: it becomes part of a media URL path.
        name = value.replace('\\', '/').rsplit('/', 1)[-1]
        if name in ('', '.', '..'):
            raise serializers.ValidationError('Not a valid file name.')
        return name


class CommaListField(serializers.ListField):
    """A list given as repeated query keys, comma-separated values, or both."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list):
            data = [part for value in data for part in str(value).split(',') if part.strip()]
        return super().to_internal_value(data)


class EventFilterSerializer(serializers.Serializer):
    ground_truth_dataset_versions = CommaListField(
        child=serializers.IntegerField(min_value=0), required=False)
    project = serializers.IntegerField(required=False)
    created_after = serializers.DateTimeField(required=False)
    data_type = serializers.ChoiceField(choices=DATA_TYPES, required=False)
    search = serializers.CharField(required=False, allow_blank=True)


class ModelFilterSerializer(serializers.Serializer):
    project = serializers.IntegerField(required=False)
    model_type = serializers.ChoiceField(choices=MODEL_TYPES, required=False)
    # allow_null: a form-style BooleanField would read "absent" as False.
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    created_after = serializers.DateTimeField(required=False)
    search = serializers.CharField(required=False, allow_blank=True)


class ModelDetailParamsSerializer(serializers.Serializer):
    expand = CommaListField(
        child=serializers.ChoiceField(choices=('metrics', 'evaluations', 'versions')),
        required=False)
    include_file = serializers.BooleanField(required=False, allow_null=True, default=None)
