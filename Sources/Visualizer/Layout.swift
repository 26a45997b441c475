// Where each part of the screen goes, shared by `render` and `update` so that scrolling and mouse
// selection agree with what is drawn.
import DefragSession

/// A rectangle of cells.
public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public static let empty = Rect(x: 0, y: 0, width: 0, height: 0)
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxY: Int { y + height }
    public var maxX: Int { x + width }
}

/// One row of the page list.
enum PageRow: Equatable {
    /// `snapshot.pages[index]`.
    case page(index: Int)
    /// A page the last pass released.
    case released(id: Int)
}

/// The screen's regions for one frame.
struct Layout {
    /// Width of the stats panel when it sits to the right.
    static let sidePanelWidth = 34
    /// From this width on, the stats panel sits to the right of the pages.
    static let sidePanelMinimumWidth = 100
    /// Width of one item of the stats panel when it sits below.
    static let gridItemWidth = 26
    /// Page rows kept for the list before a panel below is dropped.
    static let minimumPageRows = 3

    var header = Rect.empty
    var keyBar = Rect.empty
    var message = Rect.empty
    var pages = Rect.empty
    var panel = Rect.empty
    var panelBeside = false
    var body = Rect.empty

    init(width: Int, height: Int, hasMessage: Bool, narrowPanelItems: Int) {
        guard width > 0, height > 0 else { return }
        header = Rect(x: 0, y: 0, width: width, height: 1)
        var bottom = height
        if height >= 3 {
            keyBar = Rect(x: 0, y: height - 1, width: width, height: 1)
            bottom -= 1
        }
        if hasMessage && height >= 6 {
            message = Rect(x: 0, y: bottom - 1, width: width, height: 1)
            bottom -= 1
        }
        body = Rect(x: 0, y: 1, width: width, height: bottom - 1)
        pages = body
        guard !body.isEmpty else { return }
        if width >= Layout.sidePanelMinimumWidth {
            panelBeside = true
            panel = Rect(x: width - Layout.sidePanelWidth, y: body.y, width: Layout.sidePanelWidth, height: body.height)
            pages = Rect(x: 0, y: body.y, width: width - Layout.sidePanelWidth, height: body.height)
        } else {
            let columns = max(1, width / Layout.gridItemWidth)
            let panelHeight = 2 + (narrowPanelItems + columns - 1) / columns
            if body.height - panelHeight >= Layout.minimumPageRows {
                panel = Rect(x: 0, y: body.maxY - panelHeight, width: width, height: panelHeight)
                pages = Rect(x: 0, y: body.y, width: width, height: body.height - panelHeight)
            }
        }
    }

    init(width: Int, height: Int, snapshot: SessionSnapshot, state: ViewState) {
        self.init(width: width, height: height, hasMessage: messageText(snapshot, state) != nil,
                  narrowPanelItems: StatsPanel.gridItemCount)
    }
}

/// The rows of the page list: every page, then the pages the last pass released.
func pageRows(_ snapshot: SessionSnapshot) -> [PageRow] {
    var rows = snapshot.pages.indices.map { PageRow.page(index: $0) }
    if let freed = snapshot.lastPass?.freedPages {
        rows += freed.map { PageRow.released(id: $0) }
    }
    return rows
}

func pageRowCount(_ snapshot: SessionSnapshot) -> Int {
    snapshot.pages.count + (snapshot.lastPass?.freedPages.count ?? 0)
}

/// The text of the message row: the view's own message, else the session's notice, else a handler error.
func messageText(_ snapshot: SessionSnapshot, _ state: ViewState) -> String? {
    if let message = state.message { return message }
    if let notice = snapshot.notice { return notice }
    if let errors = snapshot.lastPass?.errors, let first = errors.first {
        return errors.count == 1 ? first : "\(first) (+\(errors.count - 1) more)"
    }
    return nil
}

/// The selection and scroll offset made consistent with `rowCount` rows, `visible` at a time.
func clampedSelection(selected: Int, scroll: Int, rowCount: Int, visible: Int) -> (selected: Int, scroll: Int) {
    guard rowCount > 0 else { return (0, 0) }
    let selected = max(0, min(rowCount - 1, selected))
    guard visible > 0 else { return (selected, max(0, min(scroll, rowCount - 1))) }
    var scroll = max(0, min(scroll, rowCount - visible))
    if selected < scroll { scroll = selected }
    if selected >= scroll + visible { scroll = selected - visible + 1 }
    return (selected, scroll)
}
