/// Something that draws itself into a region of a frame.
///
/// Widgets are values holding their data; drawing is a pure function of the widget, the
/// area and the context. A widget draws only inside `area` (which may be empty or partly
/// outside the frame) and leaves other cells untouched.
public protocol Widget {
    func draw(into frame: inout Frame, area: Rect, context: RenderContext)
}

extension Frame {
    /// Convenience: `frame.render(widget, in: rect, context: ctx)`.
    public mutating func render(_ widget: some Widget, in area: Rect, context: RenderContext) {
        widget.draw(into: &self, area: area, context: context)
    }
}
