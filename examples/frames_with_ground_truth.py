#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""frames_with_ground_truth: decoded frames of datasets, each with its event.

    SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \\
        examples/frames_with_ground_truth.py --dataset-versions 12 \\
        --size 224 --limit 20

    examples/frames_with_ground_truth.py --dataset-versions 12,13 \\
        --size 320x240 --file-key image_1

A data loader, as one would write it for training: frames() runs

    synapsemediasrc dataset-versions=… ! decodebin3 ! videoconvert !
        videoscale ! video/x-raw,format=RGB,width=W,height=H ! appsink

and yields (frame, event) pairs in the listing's order: the frame a numpy
array of shape (H, W, 3), uint8 RGB, the image of the event's data unit
decoded and scaled to W x H (stretched: its aspect ratio is not kept), the
event the dict the backend sent, read from the frame's SynapseEventMeta:

    from frames_with_ground_truth import frames

    for frame, event in frames([12], 224, 224):
        train_step(frame, event["data"]["label"])

as the body of a torch IterableDataset's __iter__ or a tf.data generator.

decodebin3, not decodebin: listings mix PNG and JPEG, and synapsemediasrc
starts a new stream on each change of type, which only decodebin3 follows.
The frames are copied out of the buffers row by row as their stride says
(GstVideoMeta, else the caps' VideoInfo): RGB rows are padded to 4 bytes,
so that at an odd width a row is longer than W * 3 bytes.

An error on the pipeline's bus (HTTP 401, a file that cannot be fetched or
decoded) raises PipelineError with the element's message; a warning (an
event skipped) is logged. The pipeline is set to NULL when the generator
ends, raises or is closed, e.g. by a consumer that stops early (--limit),
which cancels the downloads still under way. A listing without a single
frame (empty, or every event skipped) ends at once: decodebin3 alone would
wait for data forever.

The CLI prints a line per frame (event id, data unit id, shape, mean pixel
value) and a summary; it exits 1 on a failure, after printing it and its
HTTP status. Needs the gst-synapse plugin (GST_PLUGIN_PATH, or inside
`meson devenv -C _build`), python3-gst-1.0, gir1.2-gst-plugins-base-1.0,
gstreamer1.0-plugins-good (pngdec, jpegdec) and python3-numpy.
"""

import argparse
import contextlib
import itertools
import json
import logging
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstVideo", "1.0")
# GstApp: appsink's own methods (try_pull_sample ())
from gi.repository import GLib, Gst, GstApp, GstVideo  # noqa: E402,F401

import numpy as np  # noqa: E402

log = logging.getLogger("frames_with_ground_truth")

# how long a pull waits before the bus is looked at again (not a timeout:
# a slow backend only makes the loop turn more often)
POLL = Gst.SECOND // 10


class PipelineError(RuntimeError):
    """An error on the pipeline's bus: the element that posted it, its
    message, the debug text and, for an HTTP failure, the status code."""

    def __init__(self, element, message, debug=None, http_status=None):
        super().__init__("%s: %s" % (element, message))
        self.element = element
        self.message = message
        self.debug = debug
        self.http_status = http_status


def _check_bus(bus):
    """Empties the bus (so that its queue does not grow with a long
    listing): raises the first error, logs the warnings."""
    while True:
        message = bus.pop()
        if message is None:
            return
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            details = message.parse_error_details()
            status = None
            if details is not None and details.has_field("http-status-code"):
                status = details.get_uint("http-status-code")[1]
            raise PipelineError(message.src.get_name(), error.message, debug,
                                status)
        if message.type == Gst.MessageType.WARNING:
            warning, _ = message.parse_warning()
            log.warning("%s: %s", message.src.get_name(), warning.message)


def _watch_for_an_empty_stream(pad, info, empty):
    event = info.get_event()
    if event.type == Gst.EventType.CAPS:
        return Gst.PadProbeReturn.REMOVE  # a buffer follows
    if event.type == Gst.EventType.EOS:
        empty.set()
    return Gst.PadProbeReturn.OK


def _frame(sample):
    """The sample's RGB frame as an (H, W, 3) uint8 array of its own."""
    buffer = sample.get_buffer()
    info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
    # an element upstream may lay the rows out its own way: its GstVideoMeta
    # says how; without one, the caps' default layout
    meta = GstVideo.buffer_get_video_meta(buffer)
    if meta is not None:
        offset, stride = meta.offset[0], meta.stride[0]
    else:
        offset, stride = info.offset[0], info.stride[0]
    ok, mapping = buffer.map(Gst.MapFlags.READ)
    if not ok:
        raise RuntimeError("cannot map a frame's buffer")
    try:
        rows = np.ndarray((info.height, info.width, 3), np.uint8,
                          buffer=mapping.data, offset=offset,
                          strides=(stride, 3, 1))
        # copied before the buffer goes back to its pool
        return rows.copy()
    finally:
        buffer.unmap(mapping)


def _event(sample):
    """The event of the sample's SynapseEventMeta, as a dict."""
    meta = sample.get_buffer().get_custom_meta("SynapseEventMeta")
    if meta is None:
        raise RuntimeError("a frame has no SynapseEventMeta: an element "
                           "of the pipeline dropped it")
    return json.loads(meta.get_structure().get_value("event"))


def frames(dataset_versions, width=224, height=224, file_key=None,
           data_type=None):
    """Yields (frame, event) for each event of *dataset_versions* (ids, or
    a comma-separated string of them) whose data unit has the file
    *file_key* (None: each data unit's first file), in the listing's order.

    The backend and the token come from SYNAPSE_BACKEND_URL and
    SYNAPSE_ACCESS_TOKEN (and SYNAPSE_TENANT). Raises PipelineError on a
    failure; a consumer may stop at any time (break, close()): the pipeline
    stops with the generator.
    """
    Gst.init(None)
    if not isinstance(dataset_versions, str):
        dataset_versions = ",".join(str(v) for v in dataset_versions)
    pipeline = Gst.parse_launch(
        "synapsemediasrc name=source ! decodebin3 ! videoconvert ! "
        "videoscale ! video/x-raw,format=RGB,width=%d,height=%d ! "
        # a few frames ahead at most; no clock to wait for
        "appsink name=frames max-buffers=4 sync=false" % (width, height))
    source = pipeline.get_by_name("source")
    source.set_property("dataset-versions", dataset_versions)
    if file_key:
        source.set_property("file-key", file_key)
    if data_type:
        source.set_property("data-type", data_type)
    sink = pipeline.get_by_name("frames")
    bus = pipeline.get_bus()

    # decodebin3 neither ends nor fails a stream that ends before its first
    # buffer (an empty listing, every event skipped): it waits for data
    # forever. The source sets caps before each first buffer of a type, so
    # an EOS before any caps is such a stream, and the end.
    empty = threading.Event()
    source.get_static_pad("src").add_probe(
        Gst.PadProbeType.EVENT_DOWNSTREAM, _watch_for_an_empty_stream, empty)

    try:
        if pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            _check_bus(bus)  # the element's reason, when it posted one
            raise PipelineError(pipeline.get_name(), "cannot start")
        while True:
            _check_bus(bus)
            sample = sink.try_pull_sample(POLL)
            if sample is not None:
                yield _frame(sample), _event(sample)
            elif sink.is_eos() or empty.is_set():
                # the source ends the stream after an error as well: the
                # error, posted before, is on the bus already
                _check_bus(bus)
                return
    finally:
        pipeline.set_state(Gst.State.NULL)


def size(text):
    """224 (square) or 320x240 (width x height)."""
    width, _, height = text.partition("x")
    try:
        width, height = int(width), int(height or width)
    except ValueError:
        raise argparse.ArgumentTypeError("not N or WxH: %r" % text)
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError("not a size: %r" % text)
    return width, height


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset-versions", required=True,
                        metavar="ID[,ID…]",
                        help="ground-truth dataset version ids, e.g. 12,13")
    parser.add_argument("--size", type=size, default=(224, 224),
                        metavar="N|WxH", help="frame size (default 224)")
    parser.add_argument("--limit", type=int, default=0, metavar="N",
                        help="stop after N frames (default 0: all)")
    parser.add_argument("--file-key", help="which file of each data unit "
                        "(default: its first)")
    parser.add_argument("--data-type", help="only events of this data type")
    args = parser.parse_args()
    width, height = args.size
    # the pipeline's warnings (events skipped) on stderr
    logging.basicConfig(format="%(levelname)s: %(message)s")

    count = 0
    total = 0.0
    # closing(): the pipeline stops as soon as the loop does (early, with
    # --limit), not when the generator is collected
    loader = frames(args.dataset_versions, width, height, args.file_key,
                    args.data_type)
    try:
        with contextlib.closing(loader):
            for frame, event in itertools.islice(loader, args.limit or None):
                mean = float(frame.mean())
                print("event %d  data unit %d  shape %s  mean %.1f" % (
                    event["id"], event["data_unit"]["id"], frame.shape,
                    mean))
                count += 1
                total += mean
    except GLib.Error as error:
        # Gst.parse_launch (): an element that is not installed
        print("error: %s" % error.message, file=sys.stderr)
        print("(the gst-synapse plugin: GST_PLUGIN_PATH, or run inside "
              "`meson devenv -C _build`)", file=sys.stderr)
        return 1
    except PipelineError as error:
        print("error: %s" % error, file=sys.stderr)
        if error.http_status == 401:
            print("http-status: 401 (check SYNAPSE_ACCESS_TOKEN)",
                  file=sys.stderr)
        elif error.http_status:
            print("http-status: %d" % error.http_status, file=sys.stderr)
        return 1
    print("%d frames of %dx%d from dataset versions %s%s" % (
        count, width, height, args.dataset_versions,
        ", mean pixel value %.1f" % (total / count) if count else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
