"""Django settings for the reference server.

serve.py passes its command-line flags through SYNAPSE_DRF_* environment
variables, so this module stays a plain settings module.
"""

import os

SECRET_KEY = 'synapse-drf-reference-server'  # nothing is signed; test server only
DEBUG = False
# Absolute links (next, upload url, file URLs) follow the Host header the
# client sends, so a client talking through faultproxy gets proxy links.
ALLOWED_HOSTS = ['*']
ROOT_URLCONF = 'synapse_drf.urls'
INSTALLED_APPS = ['rest_framework']
# As in a stock project: CommonMiddleware sets Content-Length (which keeps
# HTTP/1.1 connections alive) and redirects a GET missing its slash. No
# sessions or CSRF: authentication is by token only.
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
DATABASES = {}  # all state lives in memory (see data.py and uploads.py)
USE_TZ = True
TIME_ZONE = 'UTC'
USE_I18N = False

DATA_DIR = os.environ.get('SYNAPSE_DRF_DATA_DIR', '/tmp/synapse-drf')
# Multipart chunks larger than 2.5 MB spill here; keep them with our data.
FILE_UPLOAD_TEMP_DIR = os.path.join(DATA_DIR, 'tmp')


def _int_env(name, default):
    value = os.environ.get(name, '')
    return int(value) if value else default


SYNAPSE = {
    'token': os.environ.get('SYNAPSE_DRF_TOKEN', ''),
    'seed': _int_env('SYNAPSE_DRF_SEED', 1),
    'versions': _int_env('SYNAPSE_DRF_VERSIONS', 3),
    'events': _int_env('SYNAPSE_DRF_EVENTS', 250),
    'models': _int_env('SYNAPSE_DRF_MODELS', 12),
    'page_size': _int_env('SYNAPSE_DRF_PAGE_SIZE', 100),
    # 0 means no limit.
    'max_upload_bytes': _int_env('SYNAPSE_DRF_MAX_UPLOAD_BYTES', 0),
    'upload_expiry_seconds': _int_env('SYNAPSE_DRF_UPLOAD_EXPIRY', 86400),
}

REST_FRAMEWORK = {
    'DEFAULT_AUTHENTICATION_CLASSES': [
        'synapse_drf.auth.SynapseTokenAuthentication',
    ],
    'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated'],
    'DEFAULT_RENDERER_CLASSES': ['rest_framework.renderers.JSONRenderer'],
    'DEFAULT_PARSER_CLASSES': [
        'rest_framework.parsers.JSONParser',
        'rest_framework.parsers.FormParser',
        'rest_framework.parsers.MultiPartParser',
    ],
    'DEFAULT_PAGINATION_CLASS': 'synapse_drf.pagination.SynapsePagination',
    'PAGE_SIZE': SYNAPSE['page_size'],
    # Without django.contrib.auth there is no AnonymousUser to fall back to.
    'UNAUTHENTICATED_USER': None,
    'UNAUTHENTICATED_TOKEN': None,
}

_LOG_LEVEL = os.environ.get('SYNAPSE_DRF_LOG_LEVEL', 'INFO')
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'plain': {'format': '%(asctime)s %(name)s %(levelname)s %(message)s'}},
    'handlers': {'stderr': {'class': 'logging.StreamHandler', 'formatter': 'plain'}},
    'loggers': {
        # Django only prints tracebacks of 500s when DEBUG is on; we want them always.
        'django': {'handlers': ['stderr'], 'level': _LOG_LEVEL, 'propagate': False},
        'django.server': {'handlers': ['stderr'], 'level': _LOG_LEVEL, 'propagate': False},
    },
}
