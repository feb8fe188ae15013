/// Draws an image with one cell per 1x2 pixels: '▀' with the top pixel as foreground and
/// the bottom pixel as background, which gives roughly square pixels in a terminal.
///
/// The image is scaled (nearest neighbour) to the largest size that fits the area with its
/// aspect ratio kept, and centred. Colours are converted to what the mode can show (nearest
/// 256-colour or ANSI colour). Without Unicode each cell is a space on the average colour
/// of its two pixels; without colour, a glyph from a luminance ramp (dark = blank,
/// assuming a dark terminal background).
public struct HalfBlockImage: Widget {
    public var image: RGBImage

    public init(image: RGBImage) { self.image = image }

    /// Size in pixels (width, height) the image is scaled to inside `area`; each cell shows
    /// 1 pixel across and 2 down.
    public func scaledPixelSize(in area: Rect) -> (width: Int, height: Int) {
        guard image.width > 0, image.height > 0, area.width > 0, area.height > 0 else { return (0, 0) }
        let availableWidth = area.width, availableHeight = area.height * 2
        // Compare ratios with integers: fit to width unless that makes it too tall.
        if availableWidth * image.height <= availableHeight * image.width {
            return (availableWidth, max(1, image.height * availableWidth / image.width))
        }
        return (max(1, image.width * availableHeight / image.height), availableHeight)
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        let (scaledWidth, scaledHeight) = scaledPixelSize(in: area)
        guard scaledWidth > 0, scaledHeight > 0 else { return }
        let left = area.x + (area.width - scaledWidth) / 2
        // Vertical padding in pixel rows; may be odd, then the image starts mid-cell.
        let topPadding = (area.height * 2 - scaledHeight) / 2

        func sample(_ px: Int, _ py: Int) -> RGB? {
            guard px >= 0, px < scaledWidth, py >= 0, py < scaledHeight else { return nil }
            return image.pixel(x: px * image.width / scaledWidth, y: py * image.height / scaledHeight)
        }

        let ramp: [Character] = [" "] + context.glyphs.densityRamp
        for row in 0..<area.height {
            for column in 0..<scaledWidth {
                let top = sample(column, row * 2 - topPadding)
                let bottom = sample(column, row * 2 + 1 - topPadding)
                guard top != nil || bottom != nil else { continue }
                let x = left + column, y = area.y + row
                if !context.hasColor {
                    let pixels = [top, bottom].compactMap { $0 }
                    let luminance = pixels.map(\.luminance).reduce(0, +) / Double(pixels.count)
                    frame.put(ramp[ColorScale.bucket(luminance, count: ramp.count)], x: x, y: y, clip: area)
                } else if !context.glyphs.isUnicode {
                    let average = (top ?? bottom!).mixed(with: bottom ?? top!, 0.5)
                    frame.put(" ", x: x, y: y, style: Style(background: context.colorMode.convert(.rgb(average))), clip: area)
                } else if let top {
                    let background = bottom.map { context.colorMode.convert(.rgb($0)) } ?? .default
                    frame.put(context.glyphs.upperHalfBlock, x: x, y: y,
                              style: Style(foreground: context.colorMode.convert(.rgb(top)), background: background),
                              clip: area)
                } else if let bottom {
                    frame.put(context.glyphs.lowerHalfBlock, x: x, y: y,
                              style: Style(foreground: context.colorMode.convert(.rgb(bottom))), clip: area)
                }
            }
        }
    }
}
