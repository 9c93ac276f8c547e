"""A faithful fake of the documented DaVinci Resolve scripting API subset SceneFill uses.

Shapes follow the Resolve 20.3 README (shared/reference/resolve-api.md) and the
quirks measured by the community, which the plugin must survive:

* calls the README does not document for the object (or for the fake's version)
  answer None, ``hasattr`` is True for any name, and only ``dir()`` tells the truth;
* timeline frames are absolute (start timecode included); timeline marker keys
  are relative to the timeline start (and echoed unchecked); clip markers are in
  source frames;
* ``ImportMedia`` imports into the *current* bin only, skips missing files and
  files already in that bin;
* ``AppendToTimeline`` refuses a whole batch holding a fractional frame,
  drops an item that would overlap another *silently*, and answers a truthy item
  whose getters all return None for a locked track;
* ``Timeline.DeleteClips`` acts only on the project's current timeline;
* a WAV's ``FPS`` / ``Frames`` are frozen at the project rate at import;
* ``Timeline.GetSelectedClips`` exists from 21.0.4; ``GetSetting("timelineFrameRate")``
  can be made to answer a truncated "23" like some builds.

Install it as the ``DaVinciResolveScript`` module with :func:`install`.
"""

from __future__ import annotations

import itertools
import os
import sys
import types
from fractions import Fraction

_ids = itertools.count(1)

_RATES = {"23.976": Fraction(24000, 1001), "24": Fraction(24), "25": Fraction(25), "29.97": Fraction(30000, 1001),
          "30": Fraction(30), "47.952": Fraction(48000, 1001), "48": Fraction(48), "50": Fraction(50),
          "59.94": Fraction(60000, 1001), "60": Fraction(60)}


def fake_tc_to_frames(tc: str, fps: Fraction, drop: bool) -> int:
    h, m, s, f = (int(x) for x in tc.replace(";", ":").split(":"))
    nominal = round(fps)
    frames = ((h * 60 + m) * 60 + s) * nominal + f
    if drop:
        minutes = h * 60 + m
        frames -= (2 if nominal == 30 else 4) * (minutes - minutes // 10)
    return frames


class _Api:
    """Base: undocumented names answer None; dir() lists only what this version documents."""

    _since: dict = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **k: None

    def __dir__(self):
        names = [n for n in dir(type(self)) if n[:1].isupper() and callable(getattr(type(self), n))]
        return [n for n in names if self._version() >= self._since.get(n, (0,))]

    def _version(self) -> tuple:
        return (99,)

    def __bool__(self):
        return True


class _Markers:
    """Marker calls shared by timelines and timeline items (same shapes in the API)."""

    _markers: dict[float, dict]

    def _markers_usable(self) -> bool:
        return True

    def GetMarkers(self):
        return {k: dict(v) for k, v in self._markers.items()} if self._markers_usable() else {}

    def AddMarker(self, frameId, color, name, note, duration, customData=""):
        if not self._markers_usable() or float(frameId) in self._markers:
            return False
        self._markers[float(frameId)] = {"color": color, "name": name, "note": note, "duration": duration,
                                         "customData": customData}
        return True

    def UpdateMarkerCustomData(self, frameId, customData):
        m = self._markers.get(float(frameId))
        if m is None:
            return False
        m["customData"] = customData
        return True

    def GetMarkerCustomData(self, frameId):
        m = self._markers.get(float(frameId))
        return m["customData"] if m else ""


class FakeTimelineItem(_Markers, _Api):
    def __init__(self, track, mpi, start: int, duration: int, left_offset: int = 0, name: str | None = None,
                 empty: bool = False):
        self._track, self._mpi, self._start, self._duration = track, mpi, start, duration
        self._left, self._name = left_offset, name if name is not None else (mpi._name if mpi else "Clip")
        self._markers: dict[float, dict] = {}
        self._uid = f"item-{next(_ids)}"
        self._empty = empty

    def _v(self, value):
        return None if self._empty else value

    def GetStart(self, sfp=False):
        return self._v(self._start)

    def GetEnd(self, sfp=False):
        return self._v(self._start + self._duration)

    def GetDuration(self, sfp=False):
        return self._v(self._duration)

    def GetLeftOffset(self, sfp=False):
        return self._v(self._left)

    def GetRightOffset(self, sfp=False):
        return self._v(0)

    def GetName(self):
        return self._v(self._name)

    def GetUniqueId(self):
        return self._v(self._uid)

    def GetMediaPoolItem(self):
        return self._v(self._mpi)

    def GetTrackTypeAndIndex(self):
        return self._v([self._track._type, self._track._index()])

    def _markers_usable(self) -> bool:
        return not self._empty       # a locked-track ghost item answers nothing

    def GetClipColor(self):
        return ""


class FakeTrack:
    def __init__(self, timeline, type_: str, name: str, subtype: str = ""):
        self._tl, self._type, self.name, self.subtype = timeline, type_, name, subtype
        self.locked = False
        self.items: list[FakeTimelineItem] = []

    def _index(self) -> int:
        return self._tl._tracks[self._type].index(self) + 1

    def free(self, start: int, end: int) -> bool:
        return all(i._start + i._duration <= start or end <= i._start for i in self.items)


class FakeTimeline(_Markers, _Api):
    _since = {"GetSelectedClips": (21, 0, 4)}

    def __init__(self, project, name: str, start_tc: str = "01:00:00:00", length: int = 24 * 600,
                 timeline_fps: str | None = None):
        self._project, self._name, self._start_tc = project, name, start_tc
        self._fps_reported = timeline_fps          # e.g. "23": what a truncating build answers
        self._length = length
        self._tracks: dict[str, list[FakeTrack]] = {"video": [], "audio": [], "subtitle": []}
        self._markers: dict[float, dict] = {}
        self._uid = f"tl-{next(_ids)}"
        self._selected: list[FakeTimelineItem] = []
        self._playhead: int | None = None
        self.AddTrack("video")
        self.AddTrack("audio", "stereo")

    def _version(self):
        return self._project._resolve._version_t

    # settings and frames
    def _fps(self) -> Fraction:
        return _RATES[self._project._settings["timelineFrameRate"].replace(" DF", "")]

    def _drop(self) -> bool:
        return self._project._settings.get("timelineDropFrameTimecode") == "1"

    def GetName(self):
        return self._name

    def GetUniqueId(self):
        return self._uid

    def GetSetting(self, name=None):
        if name == "timelineFrameRate" and self._fps_reported is not None:
            return self._fps_reported
        return self._project.GetSetting(name)

    def GetStartFrame(self):
        return fake_tc_to_frames(self._start_tc, self._fps(), self._drop())

    def GetEndFrame(self):
        ends = [i._start + i._duration for ts in self._tracks.values() for t in ts for i in t.items]
        return max([self.GetStartFrame() + self._length] + ends)

    def GetStartTimecode(self):
        tc = self._start_tc
        return tc[:8] + ";" + tc[9:] if self._drop() else tc

    # tracks
    def GetTrackCount(self, type_):
        return len(self._tracks.get(type_, []))

    def _track(self, type_, idx) -> FakeTrack | None:
        ts = self._tracks.get(type_, [])
        return ts[idx - 1] if isinstance(idx, int) and 1 <= idx <= len(ts) else None

    def AddTrack(self, type_, subtype=None):
        if type_ not in self._tracks:
            return False
        n = len(self._tracks[type_]) + 1
        self._tracks[type_].append(FakeTrack(self, type_, f"{type_.capitalize()} {n}",
                                             (subtype or "mono") if type_ == "audio" else ""))
        return True

    def DeleteTrack(self, type_, idx):
        t = self._track(type_, idx)
        if t is None:
            return False
        self._tracks[type_].remove(t)
        return True

    def GetTrackName(self, type_, idx):
        t = self._track(type_, idx)
        return t.name if t else None

    def SetTrackName(self, type_, idx, name):
        t = self._track(type_, idx)
        if t is None:
            return False
        t.name = name
        return True

    def GetTrackSubType(self, type_, idx):
        t = self._track(type_, idx)
        return t.subtype if t else None

    def GetIsTrackLocked(self, type_, idx):
        t = self._track(type_, idx)
        return t.locked if t else None

    def SetTrackLock(self, type_, idx, locked):
        t = self._track(type_, idx)
        if t is None:
            return False
        t.locked = bool(locked)
        return True

    def GetItemListInTrack(self, type_, idx):
        t = self._track(type_, idx)
        return sorted(t.items, key=lambda i: i._start) if t else None

    def GetItemsInTrack(self, type_, idx):
        items = self.GetItemListInTrack(type_, idx) or []
        return {n + 1: i for n, i in enumerate(items)}

    def DeleteClips(self, items, ripple=False):
        if self._project._current is not self:
            return False                       # measured: only the current timeline
        for item in items or []:
            for ts in self._tracks.values():
                for t in ts:
                    if item in t.items:
                        t.items.remove(item)
        return True

    # markers: keys relative to the timeline start, echoed unchecked
    def DeleteMarkerAtFrame(self, frameId):
        return self._markers.pop(float(frameId), None) is not None

    # selection and playhead
    def GetCurrentVideoItem(self):
        if self._playhead is None:
            return None
        for t in self._tracks["video"]:
            for i in t.items:
                if i._start <= self._playhead < i._start + i._duration:
                    return i
        return None

    def GetSelectedClips(self):
        if self._version() < (21, 0, 4):
            return None
        return list(self._selected)

    # test helpers (not API)
    def add_clip(self, name: str, start: int, frames: int, left_offset: int = 0, track: int = 1,
                 type_: str = "video") -> FakeTimelineItem:
        """A clip at ``start`` frames after the timeline start."""
        t = self._tracks[type_][track - 1]
        mpi = FakeMediaPoolItem(self._project, f"/media/{name}.mov", name, frames + left_offset, self._fps(), 48000, 2)
        item = FakeTimelineItem(t, mpi, self.GetStartFrame() + start, frames, left_offset, name)
        assert t.free(item._start, item._start + frames)
        t.items.append(item)
        return item

    def add_marker(self, offset: int, note: str, duration: int = 1, color: str = "Blue", name: str = "",
                   custom: str = "") -> None:
        assert self.AddMarker(offset, color, name, note, duration, custom)

    def move_marker(self, old: int, new: int, duration: int | None = None) -> None:
        m = self._markers.pop(float(old))
        if duration is not None:
            m["duration"] = duration
        self._markers[float(new)] = m

    def audio_track(self, name: str) -> FakeTrack | None:
        return next((t for t in self._tracks["audio"] if t.name == name), None)


class FakeMediaPoolItem(_Api):
    _since = {"GetThirdPartyMetadata": (19, 0, 2), "SetThirdPartyMetadata": (19, 0, 2)}

    def __init__(self, project, path, name, frames, fps, sample_rate, channels, samples=None):
        self._project, self._path, self._name = project, path, name
        self._frames, self._fps, self._sr, self._ch = frames, fps, sample_rate, channels
        self._samples = samples
        self._meta: dict[str, str] = {}
        self._third: dict[str, str] = {}
        self._uid = f"mpi-{next(_ids)}"

    def _version(self):
        return self._project._resolve._version_t

    def GetName(self):
        return self._name

    def GetUniqueId(self):
        return self._uid

    def GetMediaId(self):
        return self._uid

    def GetClipProperty(self, key=None):
        props = {"File Path": self._path, "Clip Name": self._name, "Frames": str(self._frames),
                 "FPS": float(self._fps), "Sample Rate": str(self._sr), "Audio Ch": str(self._ch),
                 "Type": "Audio" if self._path.endswith((".wav", ".flac")) else "Video + Audio"}
        return props if key is None else props.get(key, "")

    def GetMetadata(self, key=None):
        return dict(self._meta) if key is None else self._meta.get(key, "")

    def SetMetadata(self, key, value=None):
        if isinstance(key, dict):
            self._meta.update(key)
        else:
            self._meta[key] = value
        return True

    def GetThirdPartyMetadata(self, key=None):
        if self._version() < (19, 0, 2):
            return None
        return dict(self._third) if key is None else self._third.get(key, "")

    def SetThirdPartyMetadata(self, key, value=None):
        if self._version() < (19, 0, 2):
            return None
        if isinstance(key, dict):
            self._third.update(key)
        else:
            self._third[key] = value
        return True


class FakeFolder(_Api):
    def __init__(self, name):
        self._name, self._clips, self._subs = name, [], []
        self._uid = f"folder-{next(_ids)}"

    def GetName(self):
        return self._name

    def GetUniqueId(self):
        return self._uid

    def GetClipList(self):
        return list(self._clips)

    def GetSubFolderList(self):
        return list(self._subs)


class FakeMediaPool(_Api):
    def __init__(self, project):
        self._project = project
        self._root = FakeFolder("Master")
        self._current = self._root
        self.import_calls = 0
        self.append_calls = 0

    def GetRootFolder(self):
        return self._root

    def GetCurrentFolder(self):
        return self._current

    def SetCurrentFolder(self, folder):
        if not isinstance(folder, FakeFolder):
            return False
        self._current = folder
        return True

    def AddSubFolder(self, parent, name):
        f = FakeFolder(name)
        parent._subs.append(f)
        return f

    def ImportMedia(self, paths):
        """Into the current bin only; missing files and files already in that bin are skipped."""
        import soundfile as sf

        self.import_calls += 1
        out = []
        for p in paths:
            p = p["FilePath"] if isinstance(p, dict) else p
            if not os.path.exists(p) or any(c._path == p for c in self._current._clips):
                continue
            info = sf.info(p)
            fps = self._project._fps()                    # frozen at the project rate now
            frames = round(Fraction(info.frames) * fps / info.samplerate)
            mpi = FakeMediaPoolItem(self._project, p, os.path.basename(p), frames, fps, info.samplerate,
                                    info.channels, info.frames)
            self._current._clips.append(mpi)
            out.append(mpi)
        return out

    def AppendToTimeline(self, infos):
        self.append_calls += 1
        tl = self._project._current
        if tl is None:
            return None
        infos = list(infos or [])
        for info in infos:
            if isinstance(info, dict):
                for key in ("startFrame", "endFrame", "recordFrame"):
                    v = info.get(key)
                    if isinstance(v, float) and not v.is_integer():
                        return None                 # Resolve 21: the whole batch refused
        out = []
        for info in infos:
            if not isinstance(info, dict):
                info = {"mediaPoolItem": info}
            mpi = info["mediaPoolItem"]
            audio = info.get("mediaType") == 2 or mpi.GetClipProperty("Type") == "Audio"
            track = tl._track("audio" if audio else "video", info.get("trackIndex", 1))
            if track is None or track.locked:
                out.append(FakeTimelineItem(track, mpi, 0, 0, empty=True))
                continue
            left = int(info.get("startFrame", 0))
            dur = int(info["endFrame"]) - left if "endFrame" in info else mpi._frames - left
            if "recordFrame" in info:
                start = int(info["recordFrame"])
            else:
                start = max([tl.GetStartFrame()] + [i._start + i._duration for i in track.items])
            if dur <= 0 or not track.free(start, start + dur):
                out.append(FakeTimelineItem(track, mpi, 0, 0, empty=True))   # dropped silently
                continue
            item = FakeTimelineItem(track, mpi, start, dur, left)
            track.items.append(item)
            out.append(item)
        return out


class FakeProject(_Api):
    def __init__(self, resolve, name: str, fps: str = "23.976", drop: bool = False, sample_rate: int = 48000):
        self._resolve, self._name = resolve, name
        self._settings = {"timelineFrameRate": fps, "timelineDropFrameTimecode": "1" if drop else "0",
                          "timelineSampleRate": str(sample_rate)}
        self._pool = FakeMediaPool(self)
        self._timelines: list[FakeTimeline] = []
        self._current: FakeTimeline | None = None

    def _fps(self):
        return _RATES[self._settings["timelineFrameRate"].replace(" DF", "")]

    def GetName(self):
        return self._name

    def GetSetting(self, name=None):
        return dict(self._settings) if name is None else self._settings.get(name, "")

    def SetSetting(self, name, value):
        self._settings[name] = value
        return True

    def GetMediaPool(self):
        return self._pool

    def GetCurrentTimeline(self):
        return self._current

    def GetTimelineCount(self):
        return len(self._timelines)

    def SetCurrentTimeline(self, tl):
        self._current = tl
        return True

    def new_timeline(self, name="Cut 1", **kw) -> FakeTimeline:
        tl = FakeTimeline(self, name, **kw)
        self._timelines.append(tl)
        self._current = tl
        return tl


class FakeProjectManager(_Api):
    def __init__(self):
        self._project: FakeProject | None = None
        self.saves = 0

    def GetCurrentProject(self):
        return self._project

    def SaveProject(self):
        self.saves += 1
        return self._project is not None


class FakeResolve(_Api):
    def __init__(self, product: str = "DaVinci Resolve Studio", version=(20, 3, 2, 9, "")):
        self._product = product
        self._version_l = list(version)
        self._version_t = tuple(v for v in version if isinstance(v, int))
        self._pm = FakeProjectManager()

    def GetProductName(self):
        return self._product

    def GetVersion(self):
        return list(self._version_l)

    def GetVersionString(self):
        return ".".join(str(v) for v in self._version_t)

    def GetProjectManager(self):
        return self._pm

    def Fusion(self):
        return None

    def new_project(self, name="Short Film", **kw) -> FakeProject:
        self._pm._project = FakeProject(self, name, **kw)
        return self._pm._project


def make_resolve(fps: str = "23.976", start_tc: str = "01:00:00:00", drop: bool = False,
                 timeline_fps: str | None = None, length: int = 24 * 600, **kw) -> tuple[FakeResolve, FakeTimeline]:
    """A running Resolve with one project and one current timeline."""
    r = FakeResolve(**kw)
    p = r.new_project(fps=fps, drop=drop)
    tl = p.new_timeline("Cut 1", start_tc=start_tc, length=length, timeline_fps=timeline_fps)
    return r, tl


def install(resolve: FakeResolve | None, monkeypatch=None) -> types.ModuleType:
    """Make ``import DaVinciResolveScript`` give a module whose ``scriptapp("Resolve")`` answers ``resolve``.

    External scripting answers None on the free edition, as Resolve does.
    """
    mod = types.ModuleType("DaVinciResolveScript")

    def scriptapp(name):
        if resolve is None or name != "Resolve" or "studio" not in resolve._product.lower():
            return None
        return resolve

    mod.scriptapp = scriptapp
    if monkeypatch is not None:
        monkeypatch.setitem(sys.modules, "DaVinciResolveScript", mod)
    else:
        sys.modules["DaVinciResolveScript"] = mod
    return mod
