/// Maps a number in 0...1 to a colour, for heatmaps and legends.
///
/// Rich modes interpolate between RGB stops (and the 256-colour mode takes the nearest
/// palette entry); the 16-colour mode uses a few distinct ANSI steps, because interpolated
/// colours would collapse onto the same ANSI colour and hide differences.
public struct ColorScale: Hashable, Sendable {
    public var stops: [RGB]
    public var ansiSteps: [ANSIColor]

    public init(stops: [RGB], ansiSteps: [ANSIColor]) {
        precondition(stops.count >= 2 && !ansiSteps.isEmpty, "a colour scale needs 2+ stops and 1+ ANSI step")
        self.stops = stops
        self.ansiSteps = ansiSteps
    }

    /// Perceptually ordered dark purple -> blue -> green -> yellow, after matplotlib's viridis.
    public static let viridis = ColorScale(
        stops: [RGB(68, 1, 84), RGB(72, 40, 120), RGB(62, 74, 137), RGB(49, 104, 142), RGB(38, 130, 142),
                RGB(31, 158, 137), RGB(53, 183, 121), RGB(109, 205, 89), RGB(180, 222, 44), RGB(253, 231, 37)],
        ansiSteps: [.blue, .cyan, .green, .yellow, .brightYellow])

    /// The colour for `t` (clamped to 0...1) as the mode can show it; `.default` in `.none`
    /// mode, where callers show values with glyphs instead.
    public func color(at t: Double, mode: ColorMode) -> Color {
        let t = t.isNaN ? 0 : min(1, max(0, t))
        switch mode {
        case .none:
            return .default
        case .ansi16:
            return .ansi(ansiSteps[ColorScale.bucket(t, count: ansiSteps.count)])
        case .ansi256, .truecolor:
            return mode.convert(.rgb(rgb(at: t)))
        }
    }

    /// The interpolated RGB value for `t` in 0...1.
    public func rgb(at t: Double) -> RGB {
        let t = t.isNaN ? 0 : min(1, max(0, t))
        let position = t * Double(stops.count - 1)
        let lower = min(stops.count - 2, Int(position))
        return stops[lower].mixed(with: stops[lower + 1], position - Double(lower))
    }

    /// Which of `count` equal buckets `t` (in 0...1) falls in; 1.0 goes in the last bucket.
    public static func bucket(_ t: Double, count: Int) -> Int {
        guard count > 0 else { return 0 }
        let t = t.isNaN ? 0 : min(1, max(0, t))
        return min(count - 1, Int(t * Double(count)))
    }
}
