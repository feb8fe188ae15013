import AMPSEngine
import Foundation
import XCTest

/// Frames from a hostile or broken engine: sizes in the header that overflow or exceed the
/// payload, lengths that do not match, a prefix that claims gigabytes — each an error
/// (never a trap, never an allocation of what the frame claims). Found by reading the code
/// the `engine-frame` fuzz target drives.
final class EngineFrameTests: XCTestCase {
    func frame(_ header: String, payload: Data = Data(), claimedPayload: UInt64? = nil) -> Data {
        var d = Data("AMPS".utf8)
        var hl = UInt32(header.utf8.count).littleEndian, pl = (claimedPayload ?? UInt64(payload.count)).littleEndian
        withUnsafeBytes(of: &hl) { d.append(contentsOf: $0) }
        withUnsafeBytes(of: &pl) { d.append(contentsOf: $0) }
        return d + Data(header.utf8) + payload
    }

    func problem(_ d: Data) -> String? {
        if case let .failure(p) = EngineFrame.parse(d) { return p.text }
        return nil
    }

    func testAWellFormedFrameParses() throws {
        let d = frame(#"{"kind":"ok","tensors":[{"name":"logits","dtype":"F32","shape":[2]}]}"#, payload: Data(count: 8))
        guard case let .success(f) = EngineFrame.parse(d) else { return XCTFail("did not parse") }
        XCTAssertEqual(f.floats("logits"), [0, 0])
    }

    func testHostileSizesAreErrors() {
        // 2^40 x 2^40 x 4 bytes overflows Int: a trap before this was checked.
        XCTAssertEqual(problem(frame(#"{"kind":"ok","tensors":[{"name":"x","dtype":"F32","shape":[1099511627776,1099511627776]}]}"#)),
                       "reply tensor 'x' overruns the payload")
        XCTAssertNotNil(problem(frame(#"{"kind":"ok","tensors":[{"name":"x","dtype":"F32","shape":[-1]}]}"#)))
        XCTAssertNotNil(problem(frame(#"{"kind":"ok","tensors":[{"name":"x","dtype":"F32","shape":[3]}]}"#, payload: Data(count: 8))))
        XCTAssertNotNil(problem(frame(#"{"kind":"ok"}"#, payload: Data(count: 8))), "bytes beyond the tensors")
        XCTAssertNotNil(problem(frame(#"[1,2]"#)))
        XCTAssertEqual(problem(frame(#"{"kind":"ok"}"#, claimedPayload: 1 << 40)), "a frame with header length 13, payload 1099511627776")
        XCTAssertEqual(problem(frame(#"{"kind":"ok"}"#, claimedPayload: 1 << 30)), "frame lengths do not match its bytes")
        XCTAssertNotNil(problem(Data("AMPS".utf8)))
        XCTAssertNotNil(problem(Data(repeating: 0x41, count: 64)))
    }

    /// An engine that announces a 1 GiB reply and then dies: the client reports the end of
    /// the stream at once instead of allocating the gigabyte first.
    func testAClaimedHugePayloadIsNotAllocated() throws {
        let prefix = "printf 'AMPS\\002\\000\\000\\000\\000\\000\\000\\100\\000\\000\\000\\000{}'"
        let t0 = Date()
        XCTAssertThrowsError(try EngineClient(command: prefix, helloTimeout: 20)) { e in
            XCTAssertTrue("\(e)".contains("engine '"), "\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 15)
    }
}
