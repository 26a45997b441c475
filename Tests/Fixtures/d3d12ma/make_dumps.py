#!/usr/bin/env python3
# Writes the sample D3D12MA dumps of this folder the way D3D12MA's BuildStatsString(detailedMap=TRUE) does
# (D3D12MemoryAllocator commit 1d86c1130f61453634b1df85782e1fecfd59a525, src/D3D12MemAlloc.cpp): its
# JsonWriter's layout and escapes, its field order, CalculateStatistics' sums. Independent of the Swift
# reader and writer, so the round-trip test compares two implementations. Run: python3 make_dumps.py
import os

LOCAL_TYPES = ("DEFAULT", "GPU_UPLOAD")

class Writer:
    """JsonWriter: ", " then newline and two spaces per level; single-line collections stay on one line."""
    def __init__(self):
        self.out, self.stack = [], []
    def _indent(self, one_less=False):
        if self.stack and not self.stack[-1][2]:
            n = len(self.stack) - (1 if one_less else 0)
            self.out.append("\n" + "  " * n)
    def _begin_value(self):
        if not self.stack:
            return
        kind, count, _ = self.stack[-1]
        if kind == "o" and count % 2 == 1:
            self.out.append(": ")
        elif count > 0:
            self.out.append(", ")
            self._indent()
        else:
            self._indent()
        self.stack[-1][1] += 1
    def begin(self, kind, single=False):
        self._begin_value()
        self.out.append("{" if kind == "o" else "[")
        self.stack.append([kind, 0, single])
    def end(self):
        self._indent(True)
        self.out.append("}" if self.stack[-1][0] == "o" else "]")
        self.stack.pop()
    def string(self, s):
        self._begin_value()
        text = '"'
        for unit in utf16_units(s):
            c = chr(unit)
            esc = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
            if c in esc:
                text += esc[c]
            elif 32 <= unit < 256:
                text += c
            else:
                text += "\\u%04X" % unit
        self.out.append(text + '"')
    def raw(self, v):
        self._begin_value()
        self.out.append(v)
    def number(self, n):
        self.raw(str(n))
    def boolean(self, b):
        self.raw("true" if b else "false")
    def text(self):
        return "".join(self.out)

def utf16_units(s):
    data = s.encode("utf-16-le")
    return [data[i] | data[i + 1] << 8 for i in range(0, len(data), 2)]

class Stats:
    def __init__(self):
        self.bc = self.bb = self.ac = self.ab = self.uc = 0
        self.amin, self.amax, self.umin, self.umax = 1 << 64, 0, 1 << 64, 0
    def alloc(self, size):
        self.ac += 1; self.ab += size; self.amin = min(self.amin, size); self.amax = max(self.amax, size)
    def unused(self, size):
        self.uc += 1; self.umin = min(self.umin, size); self.umax = max(self.umax, size)
    def add(self, o):
        self.bc += o.bc; self.bb += o.bb; self.ac += o.ac; self.ab += o.ab; self.uc += o.uc
        self.amin = min(self.amin, o.amin); self.amax = max(self.amax, o.amax)
        self.umin = min(self.umin, o.umin); self.umax = max(self.umax, o.umax)
    def write(self, w):
        w.begin("o")
        for k, v in (("BlockCount", self.bc), ("BlockBytes", self.bb), ("AllocationCount", self.ac),
                     ("AllocationBytes", self.ab), ("UnusedRangeCount", self.uc)):
            w.string(k); w.number(v)
        if self.ac > 1:
            w.string("AllocationSizeMin"); w.number(self.amin); w.string("AllocationSizeMax"); w.number(self.amax)
        if self.uc > 1:
            w.string("UnusedRangeSizeMin"); w.number(self.umin); w.string("UnusedRangeSizeMax"); w.number(self.umax)
        w.end()

def free_ranges(block):
    ranges, end = [], 0
    for a in block["allocs"]:
        if a["offset"] > end:
            ranges.append((end, a["offset"] - end))
        end = a["offset"] + a["size"]
    if block["size"] > end:
        ranges.append((end, block["size"] - end))
    return ranges

def pool_stats(pool, committed):
    s = Stats()
    for b in pool["blocks"]:
        s.bc += 1; s.bb += b["size"]
        for a in b["allocs"]:
            s.alloc(a["size"])
        for _, size in free_ranges(b):
            s.unused(size)
    for a in committed:
        s.bc += 1; s.bb += a["size"]; s.alloc(a["size"])
    return s

def write_alloc(w, a, offset):
    w.begin("o", True)
    if offset:
        w.string("Offset"); w.number(a["offset"])
    w.string("Type"); w.string(a["type"])
    w.string("Size"); w.number(a["size"])
    w.string("Usage"); w.number(a.get("usage", 0))
    if "custom" in a:
        w.string("CustomData"); w.string(a["custom"])
    if "name" in a:
        w.string("Name"); w.string(a["name"])
    if a.get("layout"):
        w.string("Layout"); w.number(a["layout"])
    w.end()

def write_pool(w, pool, committed, name=None):
    w.begin("o")
    if name is not None:
        w.string("Name"); w.string(name)
    w.string("Flags"); w.begin("a", True)
    for f in pool["flags"]:
        w.number(f) if isinstance(f, int) else w.string(f)
    w.end()
    w.string("PreferredBlockSize"); w.number(pool["preferred"])
    w.string("Blocks"); w.begin("o")
    for b in pool["blocks"]:
        w.string(str(b["id"])); w.begin("o")
        free = free_ranges(b)
        w.string("TotalBytes"); w.number(b["size"])
        w.string("UnusedBytes"); w.number(b["size"] - sum(a["size"] for a in b["allocs"]))
        w.string("Allocations"); w.number(len(b["allocs"]))
        w.string("UnusedRanges"); w.number(len(free))
        w.string("Suballocations"); w.begin("a")
        entries = [(a["offset"], a) for a in b["allocs"]] + [(o, {"free": s, "offset": o}) for o, s in free]
        for _, e in sorted(entries, key=lambda x: x[0]):
            if "free" in e:
                w.begin("o", True); w.string("Offset"); w.number(e["offset"]); w.string("Type"); w.string("FREE")
                w.string("Size"); w.number(e["free"]); w.end()
            else:
                write_alloc(w, e, True)
        w.end()
        w.end()
    w.end()
    w.string("DedicatedAllocations"); w.begin("a")
    for a in committed:
        write_alloc(w, a, False)
    w.end()
    w.end()

def segment_of(pool, heap_type, uma):
    if uma:
        return "L0"
    if "MEMORY_POOL_L1" in pool["flags"]:
        return "L1"
    if "MEMORY_POOL_L0" in pool["flags"]:
        return "L0"
    return "L1" if heap_type in LOCAL_TYPES else "L0"

def dump(d):
    uma, tier1 = d["general"]["UMA"], d["tier1"]
    # (heapType, pool, committed once, isCustom)
    counted = []
    for ht, pools in d["default"]:
        for i, pool in enumerate(pools):
            counted.append((ht, pool, d["committed"].get(ht, []) if i == 0 else [], False))
    for ht, pools in d["custom"]:
        for pool in pools:
            counted.append((ht, pool, pool.get("committed", []), True))
    def total(pred):
        s = Stats()
        for ht, pool, committed, custom in counted:
            if pred(ht, pool, custom):
                s.add(pool_stats(pool, committed))
        return s
    w = Writer()
    w.begin("o")
    w.string("General"); w.begin("o")
    for k, v in d["general"].items():
        w.string(k)
        if isinstance(v, bool): w.boolean(v)
        elif isinstance(v, int): w.number(v)
        else: w.string(v)
    w.end()
    w.string("Total"); total(lambda *_: True).write(w)
    w.string("MemoryInfo"); w.begin("o")
    for seg, budget, usage_extra, heap_types in d["segments"]:
        in_seg = lambda ht, pool, custom: segment_of(pool, ht, uma) == seg
        seg_stats = total(in_seg)
        w.string(seg); w.begin("o")
        w.string("Budget"); w.begin("o")
        w.string("BudgetBytes"); w.number(budget); w.string("UsageBytes"); w.number(seg_stats.bb + usage_extra)
        w.end()
        w.string("Stats"); seg_stats.write(w)
        w.string("MemoryPools"); w.begin("o")
        for ht in heap_types:
            w.string(ht); w.begin("o"); w.string("Stats")
            if ht == "CUSTOM":
                total(lambda h, p, custom: custom and in_seg(h, p, custom)).write(w)
            else:
                total(lambda h, p, custom, ht=ht: h == ht).write(w)
            w.end()
        w.end()
        w.end()
    w.end()
    w.string("DefaultPools"); w.begin("o")
    for ht, pools in d["default"]:
        for i, pool in enumerate(pools):
            w.string(ht + ([" - Buffers", " - Textures", " - Textures RT/DS"][i] if tier1 else ""))
            write_pool(w, pool, d["committed"].get(ht, []))
    w.end()
    w.string("CustomPools"); w.begin("o")
    for ht, pools in d["custom"]:
        w.string(ht); w.begin("a")
        for i, pool in enumerate(pools):
            write_pool(w, pool, pool.get("committed", []), "%d - %s" % (i, pool["name"]) if pool.get("name") else str(i))
        w.end()
    w.end()
    w.end()
    return "\ufeff" + w.text()

MiB, KiB = 1 << 20, 1 << 10

def blk(id, size, *allocs):
    return {"id": id, "size": size, "allocs": list(allocs)}

def a(offset, size, type, **kw):
    d = {"offset": offset, "size": size, "type": type}
    d.update(kw)
    return d

tier2 = {
    "tier1": False,
    "general": {"API": "Direct3D 12", "GPU": "AMD Radeon RX 6600 XT", "DedicatedVideoMemory": 8553234432,
                "DedicatedSystemMemory": 0, "SharedSystemMemory": 17112305664, "ResourceHeapTier": 2,
                "ResourceBindingTier": 3, "TiledResourcesTier": 3, "TileBasedRenderer": False, "UMA": False,
                "CacheCoherentUMA": False, "GPUUploadHeapSupported": True, "TightAlignmentSupported": False},
    "segments": [("L0", 8556152832, 3 * MiB, ["UPLOAD", "READBACK", "CUSTOM"]),
                 ("L1", 7697911808, 112 * MiB, ["DEFAULT", "GPU_UPLOAD", "CUSTOM"])],
    "default": [
        ("DEFAULT", [{"flags": [], "preferred": 64 * MiB, "blocks": [
            blk(0, 64 * MiB,
                a(0, 4 * MiB, "TEXTURE2D", usage=1, custom="1F3A4B5C6D70", name="Shadow map/cascade 0"),
                a(4 * MiB, 64 * KiB, "BUFFER", usage=4, name="Constants \"frame\" \\ 1"),
                a(8 * MiB, 16 * MiB, "TEXTURE3D", usage=4, name="Volume fog é"),
                a(32 * MiB, 2 * MiB, "TEXTURE2D", usage=0, name="Readback staging €", layout=1),
                a(40 * MiB, 256 * KiB, "TEXTURE1D", usage=0),
                a(48 * MiB, 128 * KiB, "UNKNOWN", usage=0)),
            blk(2, 64 * MiB,
                a(0, 1 * MiB, "BUFFER", usage=0, name="Vertices"),
                a(16 * MiB, 8 * MiB, "TEXTURE2D", usage=2, layout=3)),
            blk(1, 32 * MiB,
                a(4 * MiB, 4 * MiB, "TEXTURE2D", usage=0, name="Albedo\ttiles"))]}]),
        ("UPLOAD", [{"flags": [], "preferred": 64 * MiB, "blocks": [
            blk(0, 4 * MiB, a(0, 1 * MiB, "BUFFER", name="Upload ring"), a(2 * MiB, 512 * KiB, "BUFFER"))]}]),
        ("READBACK", [{"flags": [], "preferred": 64 * MiB, "blocks": []}]),
        ("GPU_UPLOAD", [{"flags": [], "preferred": 64 * MiB, "blocks": [
            blk(0, 8 * MiB, a(1 * MiB, 1 * MiB, "BUFFER", name="Per-draw data"))]}]),
    ],
    "committed": {
        "DEFAULT": [{"size": 16 * MiB, "type": "TEXTURE2D", "usage": 3, "name": "Back buffer"},
                    {"size": 64 * KiB, "type": "BUFFER", "usage": 0, "custom": "ABCDEF"}],
        "UPLOAD": [{"size": 32 * KiB, "type": "BUFFER", "usage": 0}],
    },
    "custom": [
        ("DEFAULT", [{"name": "streaming", "flags": ["HEAP_FLAG_ALLOW_SHADER_ATOMICS", "HEAP_FLAG_DENY_BUFFERS", 2048],
                      "preferred": 16 * MiB, "blocks": [
                          blk(0, 16 * MiB, a(0, 4 * MiB, "TEXTURE2D", name="Stream tile 0"), a(8 * MiB, 4 * MiB, "TEXTURE2D", name="Stream tile 1")),
                          blk(1, 16 * MiB, a(4 * MiB, 4 * MiB, "TEXTURE2D", name="Stream tile 2"))],
                      "committed": [{"size": 2 * MiB, "type": "TEXTURE2D", "usage": 0, "name": "Stream overflow"}]}]),
        ("CUSTOM", [{"flags": ["MEMORY_POOL_L0", "CPU_PAGE_PROPERTY_WRITE_COMBINE"], "preferred": 8 * MiB, "blocks": [
            blk(0, 8 * MiB, a(0, 1 * MiB, "BUFFER"), a(4 * MiB, 2 * MiB, "BUFFER"))]},
                    {"name": "video", "flags": ["MEMORY_POOL_L1", "CPU_PAGE_PROPERTY_NOT_AVAILABLE"], "preferred": 8 * MiB, "blocks": [
            blk(0, 8 * MiB, a(2 * MiB, 2 * MiB, "TEXTURE2D"))]}]),
    ],
}

tier1_uma = {
    "tier1": True,
    "general": {"API": "Direct3D 12", "GPU": "Intel(R) UHD Graphics 620", "DedicatedVideoMemory": 134217728,
                "DedicatedSystemMemory": 0, "SharedSystemMemory": 4294967296, "ResourceHeapTier": 1,
                "ResourceBindingTier": 3, "TiledResourcesTier": 1, "TileBasedRenderer": False, "UMA": True,
                "CacheCoherentUMA": True, "GPUUploadHeapSupported": False, "TightAlignmentSupported": False},
    "segments": [("L0", 3221225472, 20 * MiB, ["DEFAULT", "UPLOAD", "READBACK", "CUSTOM"])],
    "default": [
        ("DEFAULT", [
            {"flags": ["HEAP_FLAG_DENY_RT_DS_TEXTURES", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": [
                blk(0, 8 * MiB, a(0, 64 * KiB, "BUFFER", name="Index buffer"), a(1 * MiB, 2 * MiB, "BUFFER", name="Vertex buffer"))]},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": [
                blk(1, 8 * MiB, a(0, 4 * MiB, "TEXTURE2D", name="Albedo"), a(6 * MiB, 1 * MiB, "TEXTURE2D", name="Normal"))]},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
        ]),
        ("UPLOAD", [
            {"flags": ["HEAP_FLAG_DENY_RT_DS_TEXTURES", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": [
                blk(0, 4 * MiB, a(2 * MiB, 1 * MiB, "BUFFER", name="Staging"))]},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
        ]),
        ("READBACK", [
            {"flags": ["HEAP_FLAG_DENY_RT_DS_TEXTURES", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
        ]),
        ("GPU_UPLOAD", [
            {"flags": ["HEAP_FLAG_DENY_RT_DS_TEXTURES", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
            {"flags": ["HEAP_FLAG_DENY_BUFFERS", "HEAP_FLAG_DENY_NON_RT_DS_TEXTURES"], "preferred": 32 * MiB, "blocks": []},
        ]),
    ],
    "committed": {"DEFAULT": [{"size": 8 * MiB, "type": "TEXTURE2D", "usage": 3, "name": "Depth buffer"}]},
    "custom": [],
}

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "tier2.json"), "wb") as f:
    f.write(dump(tier2).lstrip("\ufeff").encode("utf-8"))
with open(os.path.join(here, "tier1-uma.json"), "wb") as f:
    f.write(dump(tier1_uma).encode("utf-16-le"))  # with its byte order mark, as BuildStatsString returns it
