"""Chunked uploads with drf-chunked-upload semantics, kept in memory.

Bookkeeping lives in Python objects; the bytes go to files in the data
directory. The views that speak the protocol are in views.py.
"""

import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Optional

from django.conf import settings
from django.utils import timezone
from rest_framework.exceptions import NotFound

from .data import MediaFile

# drf-chunked-upload's status values, which it serializes as plain integers.
UPLOADING, COMPLETE = 1, 2


class UploadError(Exception):
    """An error answered with exactly `body`, as drf-chunked-upload does.

    Not an APIException: DRF's handler would turn the integer offsets of
    "Offsets do not match" into strings.
    """

    def __init__(self, status_code, **body):
        super().__init__(body.get('detail'))
        self.status_code = status_code
        self.body = body


@dataclass
class Upload:
    id: uuid.UUID
    filename: str
    path: Path
    size: int  # the total announced by the first Content-Range
    created_at: datetime
    expires_at: datetime
    offset: int = 0
    status: int = UPLOADING
    completed_at: Optional[datetime] = None
    checksum: Optional[str] = None
    # Running MD5, so finishing never re-reads the file.
    md5: object = field(default_factory=hashlib.md5, repr=False)
    # Serializes the offset check and the append for this upload.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def complete(self):
        return self.status == COMPLETE

    @property
    def expired(self):
        return self.status == UPLOADING and self.expires_at <= timezone.now()

    def media_file(self):
        return MediaFile(f'uploads/{self.id}/{self.filename}', self.offset, self.checksum)

    def append(self, chunk):
        with open(self.path, 'ab') as out:
            for piece in chunk.chunks():
                out.write(piece)
                self.md5.update(piece)
        self.offset += chunk.size

    def check_open(self):
        if self.expired:
            raise UploadError(410, detail='Upload has expired')
        if self.complete:
            raise UploadError(400, detail='Upload has already been marked as "complete"')

    def finish(self, md5):
        self.check_open()
        if self.offset != self.size:
            raise UploadError(400, detail=f'Upload is incomplete: {self.offset} of '
                                          f'{self.size} bytes received')
        if self.md5.hexdigest() != md5:
            raise UploadError(400, detail='checksum does not match')
        self.status, self.completed_at = COMPLETE, timezone.now()
        self.checksum = md5


class UploadStore:
    def __init__(self, directory, expiry):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.expiry = expiry
        self.lock = threading.Lock()
        self.uploads = {}

    def create(self, filename, size):
        upload_id = uuid.uuid4()
        now = timezone.now()
        upload = Upload(id=upload_id, filename=filename, path=self.directory / f'{upload_id}.bin',
                        size=size, created_at=now, expires_at=now + self.expiry)
        with self.lock:
            self.uploads[upload_id] = upload
        return upload

    def find(self, pk):
        try:
            upload_id = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
        except ValueError:
            return None
        with self.lock:
            return self.uploads.get(upload_id)

    def get(self, pk):
        upload = self.find(pk)
        if upload is None:
            raise NotFound()
        return upload

    def find_file(self, media_path):
        """The complete upload served at media/<media_path>, or None."""
        prefix, _, rest = media_path.partition('/')
        pk, _, filename = rest.partition('/')
        upload = self.find(pk) if prefix == 'uploads' else None
        if upload and upload.complete and upload.filename == filename:
            return upload
        return None

    def all(self):
        with self.lock:
            return sorted(self.uploads.values(), key=lambda upload: upload.created_at)


@lru_cache(maxsize=None)
def store():
    return UploadStore(Path(settings.DATA_DIR) / 'uploads',
                       timedelta(seconds=settings.SYNAPSE['upload_expiry_seconds']))
