import AMPSCore
import AMPSMethod
import AMPSTerminal
import Foundation

/// Key-to-frame latency while the engine is busy: a burst of key presses goes through the
/// same path as in the app (key map → state → request to the engine → drain events →
/// render the frame), with the engine thread computing the whole time. The terminal
/// write is left out (it depends on the terminal emulator, not on amps).
public enum KeyLatencyBenchmark {
    public struct Result: Sendable {
        public var keys: Int
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var maxMilliseconds: Double
        public var engineEvents: Int
    }

    public static func run(_ setup: InspectorApp.Setup, keys count: Int = 1000, size: Size = Size(width: 160, height: 48)) -> Result {
        let worker = EngineWorker(model: setup.model, template: setup.template, instances: setup.instances.instances,
                                  resources: setup.resources)
        worker.start()
        defer { worker.stop() }
        var state = InspectorApp.initialState(setup)
        worker.submit(state.request())
        // A mix that keeps the engine busy: steering changes, instance and layer moves.
        let script: [Key] = [.character("+"), .character("]"), .character("j"), .character("-"), .character("["),
                             .character("k"), .character("+"), .character("o"), .character("3"), .tab]
        let context = RenderContext(colorMode: .ansi256, glyphs: .unicode)
        var latencies: [Double] = []
        var events = 0
        for i in 0..<count {
            let key = script[i % script.count]
            let t0 = Benchmark.now()
            if let action = setup.keyMap.action(for: key) {
                for effect in state.apply(action) where effect == .request {
                    state.syncListSignature()
                    worker.submit(state.request())
                }
            }
            let drained = worker.drainEvents()
            events += drained.count
            for e in drained { state.receive(e) }
            _ = InspectorScreen.render(&state, size: size, context: context, keyMap: setup.keyMap)
            latencies.append((Benchmark.now() - t0) * 1000)
            Thread.sleep(forTimeInterval: 0.002)  // a fast typist's auto-repeat, about 500 keys/s
        }
        latencies.sort()
        func q(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] }
        return Result(keys: count, p50Milliseconds: q(0.5), p99Milliseconds: q(0.99), maxMilliseconds: latencies.last ?? 0,
                      engineEvents: events)
    }
}
