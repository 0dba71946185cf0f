"""Seeded content: dataset versions, ground-truth events, models, file bytes.

Everything is a pure function of the flags (seed and counts): two servers
started alike serve the same JSON and the same bytes. File bytes are never
stored; they are regenerated from (seed, path) on every download.

The JSON is deliberately hostile to naive parsers: non-ASCII and astral
characters, quotes and backslashes, control characters, integers beyond
2^32 and 2^53, tiny and negative-zero floats, nulls, empty objects and
arrays, nested arrays, an empty object key.
"""

import hashlib
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from django.conf import settings

KST = timezone(timedelta(hours=9))
EPOCH = datetime(2023, 11, 5, 8, 0, 0, tzinfo=KST)
DATA_TYPES = ('image', 'video', 'pcd', 'text')
MODEL_TYPES = ('classification', 'detection', 'segmentation')

CLASSES = ('사람', 'car', 'Straßenbahn', 'vélo', '信号機', 'dog "rex"',
           'cone\\left', '🚧 barrier')
TEXTS = (
    'He said "stop" at C:\\data\\new\\frame',
    '줄 바꿈\n탭\t캐리지\r끝',
    'emoji 🚗🚦 and astral 𝄞',
    'line\u2028separator, bell\u0007, escape\u001b',
    'Ünïcödé façade — naïve café',
    '',
    'trailing backslash \\',
    '{"not": "json", "really": [1, 2}',
    '</script><!-- & -->',
)
MODEL_NAMES = ('resnet', 'yolo', '분류기', 'segformer "tiny"')
NAME_PREFIXES = ('장면', 'scene', 'Straße', 'シーン', 'o\'clock')
ANNOTATORS = (None, {'id': 41, 'name': '김하늘'},
              {'id': 4294967311, 'name': 'O\'Brien "Bob"'},
              {'id': 77, 'name': 'Zoë Ångström'})
# (dataset id, dataset name, project id)
DATASETS = ((3, 'street scenes 도로 장면', 7), (5, 'warehouse "bins"', 12),
            (9, 'lidar\\night', 4103), (14, 'docs — 書類', 12))
# Per data type: (file key, file name). The names need URL escaping on
# purpose, including a literal "%20" and a "#".
FILES = {
    'image': (('image_1', 'frame 0001.jpg'),),
    'video': (('video_1', 'clip%20raw.mp4'), ('thumbnail', '미리보기.png')),
    'pcd': (('pcd_1', 'scan#3.pcd'), ('image_1', 'cam front.jpg'),
            ('image_2', 'cam rear.jpg')),
    'text': (('text_1', 'notes (final).txt'),),
}


def media_bytes(seed, path, size):
    return random.Random(f'{seed}:{path}').randbytes(size)


@dataclass
class MediaFile:
    path: str  # below /media/, not URL-escaped
    size: int
    checksum: str  # sha1 hex of the bytes
    query: str = ''  # signed-URL look-alike; ignored when serving


@dataclass
class DatasetVersion:
    id: int
    version: str
    ground_truth_dataset: dict
    project: int
    description: str
    is_active: bool
    created_at: datetime
    event_count: int = 0
    statistics: dict = field(default_factory=dict)


@dataclass
class Event:
    id: int
    version: DatasetVersion
    data_type: str
    created_at: datetime
    data: dict
    data_unit: dict  # without "files"; the serializer adds them with absolute URLs
    files: dict  # key -> MediaFile
    metadata: dict
    annotator: dict
    review_status: str
    search_text: str  # casefolded data unit name and title


@dataclass
class Model:
    id: int
    name: str
    description: str
    model_type: str
    file: MediaFile
    metrics: dict
    configuration: dict
    project: int
    is_active: bool
    created_at: datetime
    version: int = 1


class Catalogue:
    def __init__(self, seed, n_versions, n_events, n_models):
        self.seed = seed
        self.lock = threading.Lock()  # guards self.models (POST models/)
        self.media = {}  # path -> MediaFile
        rng = random.Random(seed)
        self.versions = self._make_versions(rng, n_versions)
        self.events = self._make_events(rng, n_events)
        self.models = self._make_models(rng, n_models)

    # -- media ------------------------------------------------------------

    def _media(self, rng, path):
        roll = rng.random()
        if roll < 0.03:
            size = 0
        elif roll < 0.06:
            size = rng.randint(200_000, 400_000)
        else:
            size = rng.randint(1, 4096)
        query = ''
        if rng.random() < 0.3:
            query = (f'X-Expires={1700000000 + len(self.media)}'
                     f'&X-Signature={rng.getrandbits(64):016x}')
        checksum = hashlib.sha1(media_bytes(self.seed, path, size)).hexdigest()
        self.media[path] = MediaFile(path, size, checksum, query)
        return self.media[path]

    def media_content(self, media_file):
        return media_bytes(self.seed, media_file.path, media_file.size)

    # -- dataset versions -------------------------------------------------

    def _make_versions(self, rng, count):
        versions, version_id = [], 30
        for index in range(count):
            version_id += rng.randint(1, 4)
            dataset_id, dataset_name, project = DATASETS[index % len(DATASETS)]
            versions.append(DatasetVersion(
                id=version_id,
                version=f'v{index // len(DATASETS) + 1}',
                ground_truth_dataset={'id': dataset_id, 'name': dataset_name},
                project=project,
                description=rng.choice(TEXTS),
                is_active=index % 5 != 4,
                created_at=EPOCH - timedelta(days=count - index, seconds=rng.randint(0, 3600)),
            ))
        return versions

    # -- events -----------------------------------------------------------

    def _make_events(self, rng, count):
        events, event_id, created = [], 100_000, EPOCH
        for _ in range(count):
            event_id += rng.randint(1, 3)  # gaps: ids are not positions
            created += timedelta(seconds=rng.randint(1, 900),
                                 microseconds=rng.randint(0, 999_999))
            events.append(self._make_event(rng, event_id, created))
        for version in self.versions:
            mine = [event for event in events if event.version is version]
            classes = {}
            for event in mine:
                for annotation in event.data['annotations']:
                    name = annotation['classification']['class']
                    classes[name] = classes.get(name, 0) + 1
            version.event_count = len(mine)
            version.statistics = {
                'classes': classes,
                'data_types': {t: sum(e.data_type == t for e in mine) for t in DATA_TYPES},
                'annotations_per_event':
                    round(sum(classes.values()) / len(mine), 6) if mine else None,
                'histogram': [[t, sum(e.data_type == t for e in mine)] for t in DATA_TYPES],
            }
        return events

    def _make_event(self, rng, event_id, created):
        version = rng.choice(self.versions)
        data_type = rng.choice(DATA_TYPES)
        name = f'{rng.choice(NAME_PREFIXES)}-{event_id}'
        title = rng.choice(TEXTS)
        files = {}
        if rng.random() >= 0.07:  # some events carry no files at all
            for key, filename in FILES[data_type]:
                files[key] = self._media(rng, f'data/{version.id}/{event_id}/{key}/{filename}')
        annotations = [_annotation(rng, data_type, index) for index in range(rng.randint(0, 4))]
        relations = [[a['id'], b['id'], 'follows'] for a, b in zip(annotations, annotations[1:])]
        data = {
            'schema': 'synapse.gt/2',
            'annotations': annotations,
            'relations': relations,
            'groups': [[a['id'] for a in annotations]] if annotations else [[]],
            'extra': {},
        }
        metadata = {
            'title': title,
            'source': {'device': 'cam-Ω', 'serial': 2**53 + 1 + rng.randrange(1000),
                       'firmware': None},
            'tags': rng.sample(('night', 'rain', '야간', 'blur', 'ok'), rng.randint(0, 3)),
            'exif': {},
            'gps': [round(37.5665 + rng.uniform(-1, 1), 7),
                    round(126.978 + rng.uniform(-1, 1), 7)] if rng.random() < 0.5 else None,
            'exposure_s': 1 / rng.choice((60, 125, 8000)),
            'gain_db': -round(rng.uniform(0, 1), 3),
            'frame_ns': 2**32 + event_id * 1_000_003,
            'crc64': rng.getrandbits(63),
            'offset': -2**40 - event_id,
            'tiny': 5e-324,
            'reviewed': rng.random() < 0.5,
            'odd_keys': {'': 'empty key', 'key "quoted"': 'v', 'ключ': 'значение',
                         'back\\slash': True},
        }
        data_unit = {
            'id': 2**33 + event_id * 7,
            'name': name,
            'data_type': data_type,
            'meta': {'width': 1920, 'height': 1080} if data_type == 'image' else {},
        }
        return Event(
            id=event_id, version=version, data_type=data_type, created_at=created,
            data=data, data_unit=data_unit, files=files, metadata=metadata,
            annotator=rng.choice(ANNOTATORS),
            review_status=rng.choice(('approved', 'pending', 'rejected')),
            search_text=f'{name} {title}'.casefold(),
        )

    # -- models -----------------------------------------------------------

    def _make_models(self, rng, count):
        models, model_id = [], 500
        for index in range(count):
            model_id += rng.randint(1, 3)
            model_type = MODEL_TYPES[index % len(MODEL_TYPES)]
            metrics = {key: round(rng.uniform(0.5, 0.99), 4)
                       for key in ('accuracy', 'precision', 'recall', 'f1_score')}
            if model_type == 'detection':
                metrics['mAP@0.5'] = round(rng.uniform(0.3, 0.9), 6)
                metrics['per_class'] = {c: round(rng.random(), 3) for c in rng.sample(CLASSES, 3)}
            models.append(Model(
                id=model_id,
                name=f'{rng.choice(MODEL_NAMES)}-{index}',
                description=rng.choice(TEXTS),
                model_type=model_type,
                file=self._media(rng, f'models/{model_id}/weights.pt'),
                metrics=metrics,
                configuration={
                    'epochs': rng.randint(10, 300),
                    'learning_rate': 10.0 ** -rng.randint(2, 6),
                    'augment': rng.sample(('flip', 'mosaic', 'hsv'), rng.randint(0, 3)),
                    'backbone': {'name': 'resnet50', 'pretrained': True, 'frozen_stages': None},
                    'input_size': [640, 640],
                    'class_names': rng.sample(CLASSES, 3),
                    'seed': 2**40 + index,
                },
                project=DATASETS[index % len(DATASETS)][2],
                is_active=index % 4 != 3,
                created_at=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=index * 7),
            ))
        return models

    def add_model(self, **fields):
        with self.lock:
            model_id = max((m.id for m in self.models), default=500) + 1
            model = Model(id=model_id, **fields)
            self.models.append(model)
            return model

    def model_list(self):
        with self.lock:
            return list(self.models)


def _box(rng):
    return {'x': round(rng.uniform(0, 1920), 3), 'y': round(rng.uniform(0, 1080), 3),
            'width': round(rng.uniform(1, 400), 2), 'height': round(rng.uniform(1, 300), 2)}


def _annotation(rng, data_type, index):
    annotation = {
        'id': f'{rng.getrandbits(48):012x}',
        'classification': {
            'class': rng.choice(CLASSES),
            'attrs': {'occluded': rng.random() < 0.3, 'confidence': rng.random(),
                      'comment': rng.choice((None, '', rng.choice(TEXTS)))},
        },
    }
    if data_type == 'image' and index % 2:
        annotation['tool'] = 'polygon'
        annotation['points'] = [[round(rng.uniform(0, 1920), 1), round(rng.uniform(0, 1080), 1)]
                                for _ in range(rng.randint(3, 6))]
    elif data_type == 'image':
        annotation['tool'] = 'bounding_box'
        annotation['coordinate'] = _box(rng)
    elif data_type == 'video':
        annotation['tool'] = 'bounding_box'
        annotation['frames'] = [{'frame': f, 'timestamp_ns': 2**33 + f * 33_366_667,
                                 'coordinate': _box(rng), 'keyframe': f == 0}
                                for f in range(rng.randint(1, 4))]
    elif data_type == 'pcd':
        annotation['tool'] = '3d_bounding_box'
        annotation['psr'] = {
            'position': [round(rng.uniform(-50, 50), 6) for _ in range(3)],
            'scale': [round(rng.uniform(0.5, 5), 6) for _ in range(3)],
            'rotation': [0.0, -0.0, rng.uniform(-math.pi, math.pi)],
        }
    else:
        start = rng.randint(0, 40)
        annotation['tool'] = 'named_entity'
        annotation['span'] = {'start': start, 'end': start + rng.randint(1, 12)}
        annotation['text'] = rng.choice(TEXTS)
    return annotation


@lru_cache(maxsize=None)
def catalogue():
    config = settings.SYNAPSE
    return Catalogue(config['seed'], config['versions'], config['events'], config['models'])
