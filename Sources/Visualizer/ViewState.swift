// What the view remembers between frames: a value, changed only by `update`.
import DefragSession

/// How allocations are coloured.
public enum ColourMode: String, Sendable, CaseIterable {
    /// By size class (power-of-four buckets).
    case size
    /// By resource type (buffer, optimal image, linear image, unknown).
    case type

    /// `.type` when the snapshot comes from a dump (some allocation has a type other than `.unknown`: traces
    /// and scenarios carry none), else `.size`.
    public static func preferred(for snapshot: SessionSnapshot) -> ColourMode {
        for page in snapshot.pages {
            for allocation in page.allocations where allocation.type != .unknown { return .type }
        }
        return .size
    }
}

/// The view's own state (the session's state is in the `SessionSnapshot`).
public struct ViewState: Hashable, Sendable {
    /// The terminal size the state was last laid out for (``Command/resize(width:height:)``).
    public var width: Int
    public var height: Int
    /// First page row shown.
    public var scrollOffset = 0
    /// Index of the selected row (pages, then pages released by the last pass; with several pools, the rows
    /// include each pool's header, which is never selected).
    public var selectedRow = 0
    /// Auto-stepping.
    public var isRunning = false
    /// Index in ``ViewState/speeds``.
    public var speedLevel = ViewState.defaultSpeedLevel
    public var isHelpShown = false
    /// The selected page's allocation list is open.
    public var isDetailShown = false
    /// First line of the allocation list shown.
    public var detailScroll = 0
    public var colourMode: ColourMode = .size
    /// The page list's order (`o`); it holds across passes and the timeline.
    public var pageOrder: PageOrder = .engine
    /// A one-line legend of the colour mode's roles above the key bar. Off in a bare `ViewState()` (the frames
    /// the render tests compare were drawn without it); ``init(width:height:ascii:monochrome:opening:)`` turns
    /// it on.
    public var isLegendShown = false
    /// Draw with ASCII only (`#`, the ramp `,;~=+*%`, `.`).
    public var ascii = false
    /// No colours: the renderer picks glyphs that keep moves visible without colour.
    public var monochrome = false
    /// Move mode: the index of the move shown among the moves of the pass shown (`.`/`,`); nil: off.
    public var moveIndex: Int?
    /// The page zoom (`z`): one page over the whole screen; nil: the page list.
    public var zoom: PageZoom?
    /// A hint about the last key (the end of the timeline, no moves to replay), shown above the key bar as
    /// information, not as a warning; it lasts until the next command.
    public var hint: String?
    /// A transient message (an error from the driver), shown above the key bar.
    public var message: String?
    /// The planner's summary of the run's start state (`p`), and whether the panel shows it.
    public var planStatus: PlanStatus = .none
    public var isPlanShown = false
    /// Requests for a plan so far (an answer names its request; only the latest counts).
    public var planRequests = 0

    /// Auto-step speeds in passes per second.
    public static let speeds: [Double] = [0.5, 1, 2, 4, 8, 16, 32, 60]
    public static let defaultSpeedLevel = 2

    public init(width: Int = 80, height: Int = 24, ascii: Bool = false, monochrome: Bool = false) {
        self.width = width
        self.height = height
        self.ascii = ascii
        self.monochrome = monochrome
    }

    /// The state a session opens with: colour by type when the snapshot comes from a dump
    /// (``ColourMode/preferred(for:)``), and the legend shown.
    public init(width: Int, height: Int, ascii: Bool = false, monochrome: Bool = false, opening snapshot: SessionSnapshot) {
        self.init(width: width, height: height, ascii: ascii, monochrome: monochrome)
        colourMode = .preferred(for: snapshot)
        isLegendShown = true
    }

    /// Passes per second while running.
    public var passesPerSecond: Double { ViewState.speeds[max(0, min(ViewState.speeds.count - 1, speedLevel))] }

    /// "2/s", "0.5/s".
    public var speedDescription: String {
        let speed = passesPerSecond
        return speed == speed.rounded() ? "\(Int(speed))/s" : "\(speed)/s"
    }
}
