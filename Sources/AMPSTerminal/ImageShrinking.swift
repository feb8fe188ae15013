extension RGBImage {
    /// The image shrunk by an integer factor so that it fits `maxSide` x `maxSide` pixels,
    /// each pixel the average of its block (a terminal shows at most ~64x96 pixels of it,
    /// so a 640x480 photo is kept at 128x96). Smaller images come back as they are.
    public func shrunk(toFit maxSide: Int) -> RGBImage {
        guard maxSide > 0, width > maxSide || height > maxSide else { return self }
        let f = (max(width, height) + maxSide - 1) / maxSide
        let w = max(1, width / f), h = max(1, height / f)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                var sum = (0, 0, 0)
                for dy in 0..<f {
                    for dx in 0..<f {
                        let i = ((y * f + dy) * width + (x * f + dx)) * 3
                        sum.0 += Int(pixels[i]); sum.1 += Int(pixels[i + 1]); sum.2 += Int(pixels[i + 2])
                    }
                }
                let n = f * f, o = (y * w + x) * 3
                out[o] = UInt8(sum.0 / n); out[o + 1] = UInt8(sum.1 / n); out[o + 2] = UInt8(sum.2 / n)
            }
        }
        return RGBImage(width: w, height: h, pixels: out)!
    }
}
