// Input, as the view understands it: keys become commands; `update` turns commands into a new state and
// effects the session driver carries out.
import Defragmentation

/// A key or mouse event, independent of the terminal library.
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end, enter, escape
    /// The terminal changed size.
    case resize(width: Int, height: Int)
    /// A mouse click at a screen cell.
    case click(x: Int, y: Int)
}

/// What the user asked for.
public enum Command: Hashable, Sendable {
    /// Run one pass.
    case step
    /// Start or pause auto-stepping.
    case toggleRun
    case faster, slower
    /// Restart the run from the workload's starting state.
    case reset
    case cycleAlgorithm, cycleDialect
    case cycleBudget(forward: Bool)
    case scrollUp, scrollDown, pageUp, pageDown, home, end
    /// A click on screen cell (`x`, `y`): selects the page drawn on row `y`, or the first page of the
    /// overview strip's cell there.
    case selectRow(x: Int = 0, y: Int)
    /// Open the selected page's allocation list.
    case openDetail
    case closeDetail
    case toggleHelp
    /// Colour allocations by size class or by type.
    case toggleColourMode
    /// Order the page list by the next ``PageOrder``.
    case cycleOrder
    /// Save the frame on screen as an SVG file (the event loop writes it and says where).
    case screenshot
    /// Show the pass before (`forward: false`) or after the one shown: the timeline. The pools stay as they are.
    case showPass(forward: Bool)
    /// Show (computing it the first time) or hide the panel's plan: what the optimal algorithm reaches from
    /// the run's start state, against this run.
    case togglePlan
    /// The planner's summary for request `request` (sent by the event loop when the background work ends).
    case planComputed(PlanSummary, request: Int)
    /// The session had nothing to plan for request `request`.
    case planUnavailable(request: Int)
    /// Move mode: the next (`forward`) or previous move of the pass shown.
    case stepMove(forward: Bool)
    /// The page zoom: open it on the selected page, or halve the bytes per cell (`z`).
    case zoomIn
    /// The page zoom: double the bytes per cell, up to the whole page on the screen (`Z`).
    case zoomOut
    /// Time for an auto-step (sent by the event loop at the chosen speed).
    case tick
    case resize(width: Int, height: Int)
    case quit
}

/// What the session driver must do after an update.
public enum Effect: Hashable, Sendable {
    /// Run one pass.
    case step
    /// Restart the run with the current configuration.
    case reset
    /// Use this algorithm (the driver restarts the run if the engine cannot switch mid-run).
    case setAlgorithm(Algorithm)
    /// Use this dialect (restarts the run).
    case setDialect(Dialect)
    /// Use these pass budgets from the next pass on (`Int.max`: unlimited).
    case setBudget(maxPassBytes: Int, maxPassAllocations: Int)
    /// Save the frame on screen (handled by the event loop, like quit; never reaches the driver).
    case screenshot
    /// Plan the run's start state off the drawing thread and answer with ``Command/planComputed(_:request:)``
    /// (handled by the event loop; never reaches the driver).
    case computePlan(request: Int)
    /// Show the layout and figures as they were after this pass (0: the start; the passes run or more: the
    /// newest). Nothing in the pools changes.
    case showPass(Int)
    /// Leave the program.
    case quit
}

/// Keys to commands.
public struct KeyMap: Sendable {
    public var bindings: [Key: Command]

    public init(bindings: [Key: Command]) { self.bindings = bindings }

    /// The default bindings (the key bar and help overlay describe these).
    public static let standard = KeyMap(bindings: [
        .character(" "): .step, .character("n"): .step,
        .character("r"): .toggleRun,
        .character("+"): .faster, .character("="): .faster, .character("-"): .slower,
        .character("R"): .reset,
        .character("a"): .cycleAlgorithm,
        .character("d"): .cycleDialect,
        .character("b"): .cycleBudget(forward: true), .character("B"): .cycleBudget(forward: false),
        .up: .scrollUp, .character("k"): .scrollUp,
        .down: .scrollDown, .character("j"): .scrollDown,
        .pageUp: .pageUp, .pageDown: .pageDown, .home: .home, .end: .end,
        .character("g"): .home, .character("G"): .end,
        .enter: .openDetail, .character("\n"): .openDetail, .character("\r"): .openDetail,
        .escape: .closeDetail,
        .character("?"): .toggleHelp, .character("h"): .toggleHelp,
        .character("c"): .toggleColourMode,
        .character("o"): .cycleOrder,
        .character("s"): .screenshot,
        .character("p"): .togglePlan,
        .character("."): .stepMove(forward: true), .character(","): .stepMove(forward: false),
        .character("z"): .zoomIn, .character("Z"): .zoomOut,
        .left: .showPass(forward: false), .character("["): .showPass(forward: false),
        .right: .showPass(forward: true), .character("]"): .showPass(forward: true),
        .character("q"): .quit, .character("Q"): .quit,
    ])

    /// The command for `key`, if any.
    public func command(for key: Key) -> Command? {
        switch key {
        case .resize(let width, let height): return .resize(width: width, height: height)
        case .click(let x, let y): return .selectRow(x: x, y: y)
        default: return bindings[key]
        }
    }
}

/// Budgets `b` and `B` cycle through: (bytes, allocations) per pass, `Int.max` meaning unlimited.
public enum BudgetPresets {
    public static let all: [(bytes: Int, allocations: Int)] = [
        (.max, .max),
        (64 << 20, .max), (16 << 20, .max), (4 << 20, .max), (1 << 20, .max), (256 << 10, .max),
        (.max, 64), (.max, 16), (.max, 4), (.max, 1),
    ]

    /// The preset after (or before) the one matching `maxPassBytes`/`maxPassAllocations`; from a budget that is
    /// not a preset, the first (or last) one.
    public static func next(after maxPassBytes: Int, _ maxPassAllocations: Int, forward: Bool) -> (bytes: Int, allocations: Int) {
        let count = all.count
        if let index = all.firstIndex(where: { $0.bytes == maxPassBytes && $0.allocations == maxPassAllocations }) {
            return all[(index + (forward ? 1 : count - 1)) % count]
        }
        return forward ? all[0] : all[count - 1]
    }
}
