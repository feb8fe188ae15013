/// The xterm 256-colour palette and nearest-colour search in it.
public enum XtermPalette {
    /// The six channel levels of the 6x6x6 cube (indices 16...231).
    public static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    public static func rgb(ofIndex index: UInt8) -> RGB {
        switch index {
        case 0..<16:
            return ANSIColor(rawValue: index)!.referenceRGB
        case 16..<232:
            let n = Int(index) - 16
            return RGB(cubeLevels[n / 36], cubeLevels[(n / 6) % 6], cubeLevels[n % 6])
        default:
            let v = UInt8(8 + 10 * (Int(index) - 232))
            return RGB(v, v, v)
        }
    }

    /// Nearest entry among the cube and the grey ramp. Indices 0-15 are skipped on purpose:
    /// their values depend on the user's theme, so choosing them for an exact shade would
    /// give unpredictable results.
    public static func nearestIndex(to color: RGB) -> UInt8 {
        let r = nearestCubeLevel(color.r), g = nearestCubeLevel(color.g), b = nearestCubeLevel(color.b)
        let cubeIndex = UInt8(16 + 36 * r + 6 * g + b)
        let cubeDistance = rgb(ofIndex: cubeIndex).squaredDistance(to: color)

        // Grey ramp: the nearest step to the channel average, then compare honestly.
        let average = (Int(color.r) + Int(color.g) + Int(color.b)) / 3
        let greyStep = min(23, max(0, (average - 8 + 5) / 10))
        let greyIndex = UInt8(232 + greyStep)
        let greyDistance = rgb(ofIndex: greyIndex).squaredDistance(to: color)

        return greyDistance < cubeDistance ? greyIndex : cubeIndex
    }

    /// Nearest of the 16 ANSI colours (by reference RGB; ties go to the lower index).
    public static func nearestANSI(to color: RGB) -> ANSIColor {
        var best = ANSIColor.black
        var bestDistance = Int.max
        for candidate in ANSIColor.allCases {
            let d = candidate.referenceRGB.squaredDistance(to: color)
            if d < bestDistance {
                best = candidate
                bestDistance = d
            }
        }
        return best
    }

    private static func nearestCubeLevel(_ v: UInt8) -> Int {
        var best = 0
        var bestDistance = Int.max
        for (i, level) in cubeLevels.enumerated() {
            let d = abs(Int(level) - Int(v))
            if d < bestDistance {
                best = i
                bestDistance = d
            }
        }
        return best
    }
}
