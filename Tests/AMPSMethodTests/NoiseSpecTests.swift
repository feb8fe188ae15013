import AMPSCore
@testable import AMPSMethod
import Foundation
import XCTest

/// The Swift noise generator against noise drawn by the Python implementation of its
/// specification (docs/METHOD.md, "Noise generator"; engines/torch/amps_torch_engine/noise.py),
/// committed as Fixtures/noise_spec.json by tools/make_noise_fixture.py. Every comparison
/// is bit for bit: the PyTorch engine must draw exactly the noise this engine draws.
final class NoiseSpecTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/noise_spec.json")

    func load() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as! [String: Any]
    }

    func hex(_ s: Any?) -> UInt64 { UInt64(s as! String, radix: 16)! }
    func floats(_ a: Any?) -> [Float] { (a as! [NSNumber]).map { Float(bitPattern: $0.uint32Value) } }
    func bitsOf(_ t: Tensor) -> [UInt32] { (0..<t.count).map { t.data[$0].bitPattern } }
    func bitsOf(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }
    func expectedBits(_ a: Any?) -> [UInt32] { (a as! [NSNumber]).map(\.uint32Value) }

    /// FNV-1a 64 over the little-endian float32 bytes (the fixture's digest of large draws).
    func digest(_ t: Tensor) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<t.count {
            let b = t.data[i].bitPattern.littleEndian
            for k in 0..<4 { h = (h ^ UInt64((b >> (8 * UInt32(k))) & 0xFF)) &* 0x0000_0100_0000_01B3 }
        }
        return String(format: "%016llx", h)
    }

    func states(_ c: [String: Any]) -> Tensor {
        let rows = (c["rows"] as! NSNumber).intValue, f = (c["features"] as! NSNumber).intValue
        return Tensor(shape: [rows, f], values: floats(c["states_bits"]))
    }

    func testStreamSeeds() throws {
        let cases = try load()["stream_seeds"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 4)
        for c in cases {
            let parts = c["parts"] as! [String]
            // The variadic API: build the call from the parts list.
            var h = hex(c["base"])
            switch parts.count {
            case 0: h = NoiseGenerator.seed(h)
            case 1: h = NoiseGenerator.seed(h, parts[0])
            case 2: h = NoiseGenerator.seed(h, parts[0], parts[1])
            default: XCTFail("fixture case with \(parts.count) parts"); continue
            }
            XCTAssertEqual(h, hex(c["seed"]), "seed of \(parts)")
        }
    }

    func testRawWords() throws {
        for c in try load()["words"] as! [[String: Any]] {
            var g = NoiseGenerator(seed: hex(c["seed"]))
            let got = (0..<8).map { _ in g.next() }
            XCTAssertEqual(got, (c["next"] as! [String]).map(hex), "xoshiro256** words of seed \(c["seed"]!)")
        }
    }

    func testSmallNoiseBitForBit() throws {
        for c in try load()["noise_small"] as! [[String: Any]] {
            var g = NoiseGenerator(seed: hex(c["seed"]))
            let t = g.noise(samples: (c["samples"] as! NSNumber).intValue, positions: (c["positions"] as! NSNumber).intValue,
                            sigma: floats(c["sigma_bits"]))
            XCTAssertEqual(bitsOf(t), expectedBits(c["noise_bits"]), "noise of seed \(c["seed"]!)")
        }
    }

    func testLargeNoiseDigest() throws {
        for c in try load()["noise_large"] as! [[String: Any]] {
            let f = (c["features"] as! NSNumber).intValue
            var g = NoiseGenerator(seed: hex(c["seed"]))
            let sigma = (0..<f).map { (Float($0) + 1) / 16 }
            let t = g.noise(samples: (c["samples"] as! NSNumber).intValue, positions: (c["positions"] as! NSNumber).intValue, sigma: sigma)
            XCTAssertEqual(Array(bitsOf(t).prefix(16)), expectedBits(c["first_bits"]))
            XCTAssertEqual(digest(t), c["fnv1a64"] as? String, "digest of all \(t.count) values, seed \(c["seed"]!)")
        }
    }

    func testFeatureStd() throws {
        for c in try load()["feature_std"] as! [[String: Any]] {
            let positions = (c["positions"] as! [NSNumber]).map(\.intValue)
            XCTAssertEqual(bitsOf(featureStd(states(c), positions: positions)), expectedBits(c["std_bits"]))
        }
    }

    /// One MCS cell as ModalityContribution.noise draws it: the '/'-joined tags, sigma from
    /// the per-feature std times the scale in float32.
    func testMCSCell() throws {
        for c in try load()["mcs_cells"] as! [[String: Any]] {
            let positions = (c["positions"] as! [NSNumber]).map(\.intValue)
            let tags = [c["instance"], c["order"], c["instruction"], "\((c["layer"] as! NSNumber).intValue)", c["modality"], c["tag"]]
                .map { $0 as! String }
            let scale = (c["sigma_scale"] as! NSNumber).doubleValue
            let sigma = featureStd(states(c), positions: positions).map { $0 * Float(scale) }
            var g = NoiseGenerator(seed: NoiseGenerator.seed(UInt64((c["seed"] as! NSNumber).intValue), tags.joined(separator: "/")))
            let t = g.noise(samples: (c["samples"] as! NSNumber).intValue, positions: positions.count, sigma: sigma)
            XCTAssertEqual(Array(bitsOf(t).prefix(16)), expectedBits(c["first_bits"]))
            XCTAssertEqual(digest(t), c["fnv1a64"] as? String, "cell \(tags.joined(separator: "/"))")
        }
    }
}
