import AMPSCore
import Foundation

/// Pillow's `Image.resize` for 8-bit RGB with a convolution filter (the path transformers' PIL
/// backend takes): separable, horizontal pass first, then vertical; when shrinking, the filter's
/// support is widened by the scale factor (antialiasing); each output pixel's coefficients are
/// normalized to sum 1, turned into 22-bit fixed point, and every pass rounds and clamps to 8 bits.
public enum ImageResample: Int, Sendable {
    // Pillow's Resampling values.
    case bilinear = 2
    case bicubic = 3

    var support: Double { self == .bicubic ? 2.0 : 1.0 }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1.0 ? 1.0 - x : 0.0
        case .bicubic:
            let a = -0.5
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        }
    }
}

extension RGBImage {
    static let precisionBits = 32 - 8 - 2

    /// Per output position: first input index, tap count, and fixed-point coefficients (`ksize` apart).
    private struct Coefficients {
        let ksize: Int
        var bounds: [(min: Int, count: Int)]
        var k: [Int32]
    }

    private static func coefficients(inSize: Int, outSize: Int, filter: ImageResample) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterscale = max(scale, 1.0)
        let support = filter.support * filterscale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var bounds: [(min: Int, count: Int)] = []
        bounds.reserveCapacity(outSize)
        var k = [Int32](repeating: 0, count: outSize * ksize)
        var w = [Double](repeating: 0, count: ksize)
        let one = Double(1 << precisionBits)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterscale
            // C's (int) cast truncates toward zero.
            let xmin = max(Int((center - support + 0.5).rounded(.towardZero)), 0)
            let xmax = min(Int((center + support + 0.5).rounded(.towardZero)), inSize) - xmin
            var ww = 0.0
            for x in 0..<max(xmax, 0) {
                let v = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                w[x] = v
                ww += v
            }
            for x in 0..<max(xmax, 0) {
                let v = ww != 0.0 ? w[x] / ww : w[x]
                k[xx * ksize + x] = Int32((v < 0 ? -0.5 + v * one : 0.5 + v * one).rounded(.towardZero))
            }
            bounds.append((xmin, max(xmax, 0)))
        }
        return Coefficients(ksize: ksize, bounds: bounds, k: k)
    }

    @inline(__always) private static func clip8(_ ss: Int) -> UInt8 {
        let v = ss >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }

    /// Horizontal pass over rows `rows` of `src` (`srcW` wide) to `outW` columns.
    private static func horizontalPass(_ src: [UInt8], srcW: Int, rows: Range<Int>, outW: Int, _ co: Coefficients) -> [UInt8] {
        let half = 1 << (precisionBits - 1)
        var out = [UInt8](repeating: 0, count: outW * rows.count * 3)
        for y in rows {
            let inRow = y * srcW * 3, outRow = (y - rows.lowerBound) * outW * 3
            for xx in 0..<outW {
                let (xmin, n) = co.bounds[xx]
                let kb = xx * co.ksize
                var s0 = half, s1 = half, s2 = half
                for x in 0..<n {
                    let c = Int(co.k[kb + x]), p = inRow + (xmin + x) * 3
                    s0 += Int(src[p]) * c; s1 += Int(src[p + 1]) * c; s2 += Int(src[p + 2]) * c
                }
                out[outRow + xx * 3] = clip8(s0)
                out[outRow + xx * 3 + 1] = clip8(s1)
                out[outRow + xx * 3 + 2] = clip8(s2)
            }
        }
        return out
    }

    /// Vertical pass of `src` (`w` wide, its row 0 being input row `rowOffset`) to `outH` rows.
    private static func verticalPass(_ src: [UInt8], w: Int, rowOffset: Int, outH: Int, _ co: Coefficients) -> [UInt8] {
        let half = 1 << (precisionBits - 1)
        var out = [UInt8](repeating: 0, count: w * outH * 3)
        for yy in 0..<outH {
            let (ymin, n) = co.bounds[yy]
            let kb = yy * co.ksize
            for xx in 0..<w {
                var s0 = half, s1 = half, s2 = half
                for y in 0..<n {
                    let c = Int(co.k[kb + y]), p = ((ymin - rowOffset + y) * w + xx) * 3
                    s0 += Int(src[p]) * c; s1 += Int(src[p + 1]) * c; s2 += Int(src[p + 2]) * c
                }
                out[(yy * w + xx) * 3] = clip8(s0)
                out[(yy * w + xx) * 3 + 1] = clip8(s1)
                out[(yy * w + xx) * 3 + 2] = clip8(s2)
            }
        }
        return out
    }

    /// This image resized to `width` x `height` as Pillow (13) would. Pillow runs the horizontal pass
    /// first (on just the rows the vertical pass reads), except when the height shrinks by more than
    /// twice as many pixels as the width does: then the vertical pass runs first.
    public func resized(width outW: Int, height outH: Int, filter: ImageResample) -> RGBImage {
        if outW == width && outH == height { return self }
        let needH = outW != width, needV = outH != height
        let horiz = RGBImage.coefficients(inSize: width, outSize: outW, filter: filter)
        let vert = RGBImage.coefficients(inSize: height, outSize: outH, filter: filter)
        let horizontalFirst = !((height - outH) > 0 && (height - outH) > (width - outW) * 2)
        if horizontalFirst {
            var src = pixels, rowOffset = 0, rows = height
            if needH {
                let first = vert.bounds.first!.min
                let last = vert.bounds.last!.min + vert.bounds.last!.count
                let used = needV ? first..<last : 0..<height
                src = RGBImage.horizontalPass(pixels, srcW: width, rows: used, outW: outW, horiz)
                rowOffset = used.lowerBound; rows = used.count
            }
            guard needV else { return RGBImage(width: outW, height: rows, pixels: src) }
            return RGBImage(width: outW, height: outH, pixels: RGBImage.verticalPass(src, w: outW, rowOffset: rowOffset, outH: outH, vert))
        }
        var src = pixels
        if needV { src = RGBImage.verticalPass(src, w: width, rowOffset: 0, outH: outH, vert) }
        if needH { src = RGBImage.horizontalPass(src, srcW: width, rows: 0..<outH, outW: outW, horiz) }
        return RGBImage(width: outW, height: outH, pixels: src)
    }
}
