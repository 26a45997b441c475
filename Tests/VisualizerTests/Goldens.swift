// Expected frames, trailing spaces trimmed, one entry per render test. To regenerate after a deliberate change:
// DEFRAGSCOPE_RECORD_GOLDENS=/tmp/goldens swift test --filter VisualizerTests, review every changed line, paste.
enum Goldens {
    static let all: [String: String] = [
        "before-80x24": """
 fixture │ host │ full/memutils │ budget unlimited              pass 0 │ paused
0  ██████████ ██████████████████████████████████████████████████████████  98% 68
1  █████████████████▌                 █████████████████▌                  50%  2
2  ▍▋████████                                                             12%  2
3            █                                                             1%  1












── before the first pass ───────────────────────────────────────────────────────
 pages         4/4, min 2  pass moved             -  run moved            0 B
 live             902 KiB  pass allocs            -  run allocs             0
 free            1.28 MiB  pass freed             -  run freed        0 / 0 B
 largest free     140 KiB  pass time              -  fragment.          89.3%
 pages per pass ▅ 4→4
 ␣ step  r run  +/- speed  R reset  a algo  b/B budget  ⏎ page  ? help  q quit
""",
        "after-80x24": """
 fixture │ host │ full/memutils │ budget unlimited              pass 1 │ paused
0  █████████████████████████████████████████████████████████████████████ 100% 69
1  ███████████████████████████████████░░░░░░░░░░░░░░░░░░                  50%  2
2! ▍▋████████                                                             12%  2
3× ────────────────────────── page 3 released ──────────────────────────












── after pass 1 ────────────────────────────────────────────────────────────────
 pages         3/4, min 2  pass moved       148 KiB  run moved        148 KiB
 live             902 KiB  pass allocs            2  run allocs             2
 free             754 KiB  pass freed   1 / 552 KiB  run freed    1 / 552 KiB
 largest free     140 KiB  pass time        1.50 ms  fragment.          81.4%
 pages per pass █▁ 4→3
 ␣ step  r run  +/- speed  R reset  a algo  b/B budget  ⏎ page  ? help  q quit
""",
        "after-200x60": """
 defragscope │ fixture │ host │ full/memutils │ budget unlimited                                                                                                                        pass 1 │ paused
0  ███████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████ 100% 69│ Pages
1  ██████████████████████████████████████████████████████████████████████████████▋░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░                                       50%  2│  now                          3
2! ▉  ▋██████████████████▌                                                                                                                                      12%  2│  at start                     4
3× ───────────────────────────────────────────────────────────────────── page 3 released ─────────────────────────────────────────────────────────────────────        │  lower bound                  2
                                                                                                                                                                      │ Memory
                                                                                                                                                                      │  live             902 KiB in 73
                                                                                                                                                                      │  free                   754 KiB
                                                                                                                                                                      │  largest free           140 KiB
                                                                                                                                                                      │  fragmentation            81.4%
                                                                                                                                                                      │ Pass 1
                                                                                                                                                                      │  bytes moved            148 KiB
                                                                                                                                                                      │  allocs moved                 2
                                                                                                                                                                      │  pages freed                  1
                                                                                                                                                                      │  bytes freed            552 KiB
                                                                                                                                                                      │  time                   1.50 ms
                                                                                                                                                                      │ Run
                                                                                                                                                                      │  bytes moved            148 KiB
                                                                                                                                                                      │  allocs moved                 2
                                                                                                                                                                      │  pages freed                  1
                                                                                                                                                                      │  bytes freed            552 KiB
                                                                                                                                                                      │ Pages per pass
                                                                                                                                                                      │  █▁ 4→3
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
                                                                                                                                                                      │
 ␣ step  r run  +/- speed  R reset  a algo  d dialect  b/B budget  ↑↓ select  ⏎ page  z zoom  ←→ pass  ./, moves  ? help  q quit
""",
        "after-20x5": """
 fixture pass 1 pa…
0  █████████ 100% 69
1  ████▋░░    50%  2
2! ▉▎         12%  ▼
 ␣ step  r run
""",
        "after-80x24-ascii": """
 fixture | host | full/memutils | budget unlimited              pass 1 | paused
0  ##########@########################################################## 100% 69
1  #################@@@@@@@@@@@@@@@@@@::::::::::::::::::................  50%  2
2! ~~########...........................................................  12%  2
3x -------------------------- page 3 released --------------------------












-- after pass 1 ----------------------------------------------------------------
 pages         3/4, min 2  pass moved       148 KiB  run moved        148 KiB
 live             902 KiB  pass allocs            2  run allocs             2
 free             754 KiB  pass freed   1 / 552 KiB  run freed    1 / 552 KiB
 largest free     140 KiB  pass time        1.50 ms  fragment.          81.4%
 pages per pass #_ 4->3
 Spc step  r run  +/- speed  R reset  a algo  b/B budget  z zoom  ? help  q quit
""",
        "after-80x24-help": """
 fixture │ host │ full/memutils │ budget unlimited              pass 1 │ paused
0  ██████████████┌─ help ─────────────────────────────────────┐█████████ 100% 69
1  ██████████████│ Space n    step one pass                   │           50%  2
2! ▍▋████████    │ r          run / pause                     │           12%  2
3× ──────────────│ + -        faster / slower                 │─────────
                 │ R          reset the run                   │
                 │ a d        next algorithm / dialect        │
                 │ b B        next / previous budget          │
                 │ ↑ ↓ j k    select a page                   │
                 │ PgUp PgDn  scroll a screen                 │
                 │ g G        first / last page               │
                 │ ← → [ ]    show the previous / next pass   │
                 │ . ,        step through the pass's moves   │
                 │            (replays the pass; Esc leaves)  │
                 │ Enter      allocations of the page         │
                 │ z          zoom into the page's map        │
                 │ Esc        close                           │
── after pass 1 ─│ c          colour by size / type           │─────────────────
 pages         3/│ o          page order: fill, free, id, …   │       148 KiB
 live            │ s p        screenshot (SVG) / optimal plan │             2
 free            │ ?          this help                       │   1 / 552 KiB
 largest free    │ q          quit                            │         81.4%
 pages per pass █└────────────────────────────────────────────┘
 ␣ step  r run  +/- speed  R reset  a algo  b/B budget  ⏎ page  ? help  q quit
""",
        "after-80x24-detail-page1": """
 fixture │ host │ full/memutils │ budget unlimited              pass 1 │ paused
0 ┌─ page 1: 552 KiB, 2 allocations, 50% used ───────────────────────────────┐69
1 │ offset         size        id  type           moved                      │ 2
2!│ 0x00000     140 KiB       100  image_optimal                             │ 2
3×│ 0x23000     140 KiB       101  image_linear   ← page 1                   │
  │ 0x46000     140 KiB       101  (left)         → page 1 @ 0x23000         │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
  │                                                                          │
──│                                                                          │──
 p│                                                                          │
 l│                                                                          │
 f│                                                                          │
 l│                                                                          │
 p└──────────────────────────────────────────────────────────────────────────┘
 ␣ step  r run  +/- speed  R reset  a algo  b/B budget  ⏎ page  ? help  q quit
""",
        "many40-80x24-scrolled": """
 defragscope │ many │ host │ full/memutils │ budget unlimited   pass 0 │ paused
─ 40 pages · order: the engine's (o) · 18–31 shown ─────────────────────────────
 ▏▎▎▍▌▋▊▊ ▏▎▎▍▌▋▊▊ ▏▎▎▍▌▋▊▊ ▏▎▎▍▌▋▊▊ ▏▎▎
17  ████████████████████████████████████████████████████████               81% ▲
18                                                                          0% 0
19  ███████                                                                10% 1
20  ██████████████                                                         20% 2
21  █████████████████████                                                  30% 3
22  ████████████████████████████                                           40% 4
23  ███████████████████████████████████                                    50% 5
24  ██████████████████████████████████████████                             60% 6
25  █████████████████████████████████████████████████                      71% 7
26  ████████████████████████████████████████████████████████               81% 8
27                                                                          0% 0
28  ███████                                                                10% 1
29  ██████████████                                                         20% 2
30  █████████████████████                                                  30% ▼
── before the first pass ───────────────────────────────────────────────────────
 pages      40/40, min 16  pass moved             -  run moved            0 B
 live            8.20 MiB  pass allocs            -  run allocs             0
 free            13.4 MiB  pass freed             -  run freed        0 / 0 B
 largest free     140 KiB  pass time              -  fragment.          99.0%
 pages per pass ▅ 40→40
 ␣ step  r run  +/- speed  R reset  a algo  b/B budget  ⏎ page  ? help  q quit
""",
    ]
}
