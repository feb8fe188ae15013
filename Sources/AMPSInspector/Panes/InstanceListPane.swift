import AMPSMethod
import AMPSTerminal

/// The scrollable list of instances: task, conflict or not, the current answer
/// (vision / text / other) under the current steering, MCR over the window.
struct InstanceListPane {
    static func draw(_ s: inout InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let visible = s.visibleIndices
        let pos = visible.isEmpty ? "0/0" : "\((s.list.selected ?? 0) + 1)/\(visible.count)"
        var title = "1 Instances"
        if s.sort != .file { title += " by \(s.sort.rawValue)" }
        if !s.filter.isEmpty { title += " /\(s.filter)" }
        frame.render(Box(title: title, footer: pos, isFocused: s.focus == .list), in: area, context: context)
        var inner = Box.contentArea(of: area)
        if s.filterEditing {
            frame.line("/" + s.filter + "_", in: inner, row: 0, style: context.theme.accent)
            inner = inner.inset(top: 1)
        }
        let ids = visible.map { PaneText.listId(s.instances[$0].instance.id) }
        let idWidth = min(12, max(2, ids.map(\.count).max() ?? 2))
        // The task column takes what the others leave (four one-cell gaps between five columns).
        let taskWidth = max(1, inner.width - idWidth - 1 - 2 - 4 - 4)
        let rows = zip(visible, ids).map { i, id -> TableRow in
            let inst = s.instances[i].instance
            let st = s.listStats[i]
            return TableRow([id, PaneText.taskLabel(inst.task, width: taskWidth), inst.isConflict ? "x" : " ",
                             PaneText.bothOrders(st), st.map { PaneText.ratio($0.windowRatio, 2) } ?? "…"],
                            style: st == nil ? context.theme.dimText : nil)
        }
        let table = Table(columns: [TableColumn("id", width: .fixed(idWidth)), TableColumn("task"), TableColumn("C", width: .fixed(1)),
                                    TableColumn("AA", width: .fixed(2)), TableColumn("MCR", width: .fixed(4), alignment: .right)],
                          rows: rows, isFocused: s.focus == .list, emptyText: s.filter.isEmpty ? "(no instances)" : "(no match)")
        table.draw(into: &frame, area: inner, context: context, state: &s.list)
    }

    /// Data rows visible in the list area (for paging and mouse hits).
    static func visibleRows(_ area: Rect, filterEditing: Bool) -> Int { max(1, area.height - 3 - (filterEditing ? 1 : 0)) }
}
