// Move mode: `.` and `,` replay the moves of the pass shown one at a time, in the engine's order. The pass
// was collected whole, copied, then completed; this only shows its moves one by one.
import DefragSession

/// The row of page `page` of `pool` in `rows`: its page row, else its released row.
func rowIndex(ofPage page: Int, pool: String, in rows: [PageRow], _ snapshot: SessionSnapshot) -> Int? {
    if let row = rows.firstIndex(where: { if case .page(let i) = $0 { return snapshot.pages[i].id == page && snapshot.pages[i].pool == pool } else { return false } }) {
        return row
    }
    return rows.firstIndex(where: { if case .released(let id) = $0 { return id == page } else { return false } })
}

/// The move shown in move mode, if the mode is on and the pass shown has that move.
func shownMove(_ snapshot: SessionSnapshot, _ state: ViewState) -> (index: Int, count: Int, move: MoveRecord)? {
    guard let index = state.moveIndex, let moves = snapshot.lastPass?.moves, index >= 0, index < moves.count else { return nil }
    return (index, moves.count, moves[index])
}

/// "move 3 of 523: id 2047, 34.3 KiB, page 8 @0x4a3400 → page 5 @0x5f8a00, copy".
func moveText(_ snapshot: SessionSnapshot, _ state: ViewState) -> String? {
    guard let (index, count, m) = shownMove(snapshot, state) else { return nil }
    let arrow = state.ascii ? "->" : "→"
    return "move \(index + 1) of \(count): id \(m.id), \(ByteFormat.short(m.size)), page \(m.sourcePage) @0x\(String(m.sourceOffset, radix: 16))"
        + " \(arrow) page \(m.destinationPage) @0x\(String(m.destinationOffset, radix: 16)), \(m.operation)"
}

/// The move-mode part of ``update(_:_:_:)``: the next (or previous) move of the pass shown, its destination
/// row selected and its source row scrolled into view with it when both fit.
func stepMove(_ state: inout ViewState, forward: Bool, _ snapshot: SessionSnapshot, rows: [PageRow], visible: Int) {
    guard let moves = snapshot.lastPass?.moves, !moves.isEmpty else {
        state.moveIndex = nil
        state.hint = "no moves in the pass shown (← → choose a pass)"
        return
    }
    let index: Int
    if let current = state.moveIndex, current < moves.count { index = forward ? min(moves.count - 1, current + 1) : max(0, current - 1) }
    else { index = forward ? 0 : moves.count - 1 }
    state.moveIndex = index
    state.message = nil
    state.isDetailShown = false
    let move = moves[index]
    guard let destination = rowIndex(ofPage: move.destinationPage, pool: move.pool, in: rows, snapshot) else { return }
    let source = rowIndex(ofPage: move.sourcePage, pool: move.pool, in: rows, snapshot) ?? destination
    state.selectedRow = destination
    let low = min(source, destination), high = max(source, destination)
    // Both rows when they fit on the screen; otherwise the destination (the selection) wins.
    if high - low < visible { state.scrollOffset = low }
}

extension Renderer {
    /// The move of move mode, in its own colour: where it left (its source range) and where it arrived.
    mutating func drawShownMove() {
        guard let (_, _, move) = shownMove(snapshot, state) else { return }
        let rect = layout.pages
        guard !rect.isEmpty else { return }
        let maxID = max(snapshot.pages.map(\.id).max() ?? 0, snapshot.lastPass?.freedPages.max() ?? 0)
        let columns = RowColumns(rect: rect, maxID: maxID, maxCount: snapshot.pages.map(\.allocations.count).max() ?? 0)
        guard columns.barWidth > 0 else { return }
        let ends: [(page: Int, offset: Int, glyph: Unicode.Scalar)] = [
            (move.sourcePage, move.sourceOffset, glyphs.left), (move.destinationPage, move.destinationOffset, glyphs.full),
        ]
        for end in ends {
            guard let row = rowIndex(ofPage: end.page, pool: move.pool, in: rows, snapshot), row >= scroll, row < scroll + rect.height else { continue }
            let size: Int
            if case .page(let index) = rows[row] { size = snapshot.pages[index].size } else {
                size = snapshot.pages.first { $0.pool == move.pool }?.size ?? 0
            }
            guard size > 0 else { continue }
            let first = end.offset * columns.barWidth / size
            let last = max(first + 1, ((end.offset + move.size) * columns.barWidth + size - 1) / size)
            for x in first..<min(last, columns.barWidth) {
                canvas.put(columns.barX + x, rect.y + row - scroll, end.glyph, .keybarKey, .background, .bold)
            }
        }
    }
}

/// The "why it is still here" section of a page's detail, for the pass shown, when the engine explained it:
/// a blank line, a title, and the why-list indented.
func whySection(page: PageSnapshot, _ snapshot: SessionSnapshot) -> [String] {
    guard let pass = snapshot.lastPass, let decisions = pass.decisions else { return [] }
    let lines = WhyList.lines(page: page, decisions: decisions, moves: pass.moves, algorithm: snapshot.configuration.algorithm)
    return lines.isEmpty ? [] : ["", "why it is still here (pass \(pass.number))"] + lines.map { "  " + $0 }
}
