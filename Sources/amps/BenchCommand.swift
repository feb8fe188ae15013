import AMPSCore
import AMPSInspector
import AMPSMethod
import AMPSTerminal
import AMPSModel
import ArgumentParser
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine on the default model (and a large checkpoint), next to sgemm and the PyTorch reference.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var method: MethodOptions

    @Option(name: .long, help: "Instance for the single-instance workloads (default: the first conflict instance).")
    var instance: String?

    @Option(name: .customLong("eval-instances"), help: "Conflict instances for the eval workload.")
    var evalInstances: Int = 200

    @Option(name: .long, help: "Repeats of the short workloads (median reported).")
    var repeats: Int = 5

    @Option(name: .long, help: "A large checkpoint folder for prefill/decode (e.g. made by tools/make_bench_checkpoint.py).")
    var large: String?

    @Option(name: .customLong("torch"), help: "JSON written by tools/bench_torch.py on the same machine, for the ratios.")
    var torchJSON: String?

    @Option(name: .customLong("torch-command"), help: ArgumentHelp("A command that runs the PyTorch reference and takes --out FILE (e.g. \"python3 tools/bench_torch.py --threads 2\"): run before every round of the engine's workloads, and once with --only large --large DIR for the large checkpoint.", valueName: "command"))
    var torchCommand: String?

    @Option(name: .long, help: "Rounds of the default model's workloads, alternating with the PyTorch command; each side's best round is reported (the machine's speed drifts within minutes).")
    var rounds: Int = 1

    @Option(name: .customLong("json"), help: "Write the results as JSON to this file.")
    var jsonOut: String?

    @Option(name: .long, help: "Run only this workload (repeatable): steered_forward, steered_live, mcs_map, eval_uniform, large (prefill and decode).")
    var only: [String] = []

    @Flag(name: .long, help: "Tiny sizes (smoke test of the harness).")
    var quick = false

    @Option(name: .long, help: "Key presses of the key-to-frame latency burst (0 skips it).")
    var keys: Int = 1000

    @Flag(name: .customLong("engine-map"), help: "Only the MCS map (clean pass + every layer x 2 modalities x N), through the engine interface, on the engine chosen with --engine / --engine-command: the same code on either engine (docs/BENCHMARKS.md).")
    var engineMap = false

    @Option(name: .customLong("map-layers"), help: "With --engine-map: only these layers, FIRST-LAST (default: all).")
    var mapLayers: String?

    func run() throws {
        try reportingErrors {
            try checkOptionBounds()
            let names = ["steered_forward", "steered_live", "mcs_map", "eval_uniform", "large"]
            if let bad = only.first(where: { !names.contains($0) }) {
                throw AMPSError.invalidInput("--only \(bad): no such workload (\(names.joined(separator: ", ")))")
            }
            func runs(_ name: String) -> Bool { only.isEmpty || only.contains(name) }
            if engineMap { return try benchEngineMap() }
            let m = try model.load()
            let set = try method.instances().instances
            let conflicts = set.filter(\.isConflict)
            guard let first = try instance.map({ id in try InstanceSet(path: method.data, instances: set).instance(id: id) }) ?? conflicts.first else {
                throw AMPSError.invalidInput("no conflict instance to benchmark on")
            }
            let template = try method.template(m)
            let vectors = try method.steeringVectors(m)
            let window = try method.layerWindow(m)
            var settings = try method.perturbation()
            if quick { settings.samples = 4 }
            let alpha: Float = 2
            let probe = try Probe(model: m, template: template, instance: first, order: .visionFirst, instruction: .none)
            let reps = quick ? 1 : repeats
            // (a) one steered forward pass (vision tower and decoder) of a prepared prompt, as
            // PyTorch's is timed; then the same change as the inspector makes it, resuming
            // from the clean pass below the steering window.
            // Through the engine interface, as the commands run them (`engine` is `m`).
            let engine: any ModelEngine = m
            let x = probe.input
            let st = vectors.steering(window: window, scales: [alpha], promptLength: x.length)
            // The default model's workloads, one round; `results` collects a round.
            func defaultRound() throws -> [BenchmarkResult] {
                var results: [BenchmarkResult] = []
                if runs("steered_forward") { results.append(try Benchmark.measure("steered_forward", repeats: reps, detail: "instance \(first.id), uniform alpha \(alpha), layers \(window)") {
                    m.forgetImageFeatures()  // every repeat runs the vision tower, as PyTorch's does
                    _ = try engine.lastLogits(x, steering: st)
                }) }
                if runs("steered_live") {
                let clean = try engine.run(x)
                var live = try Benchmark.measure("steered_live", repeats: reps, detail: "") {
                    _ = try engine.run(x, steering: st, resumingFrom: clean)
                }
                live.detail = "the inspector's steered pass, recorded, resumed from the clean pass at layer \(window.lowerBound) (PyTorch: its full steered forward)"
                results.append(live)
                }
                // (b) the full MCS map: all layers x 2 modalities x N.
                if runs("mcs_map") { results.append(try Benchmark.measure("mcs_map", repeats: quick ? 1 : max(1, reps / 2),
                                                     detail: "\(m.layerCount) layers x 2 modalities x N=\(settings.samples)") {
                    m.forgetImageFeatures()
                    let pass = try engine.run(probe.input)
                    _ = try ModalityContribution.map(model: engine, pass: pass, probe: probe, settings: settings)
                }) }
                // (c) eval: conflict instances x both orders, one steered pass each at one alpha,
                // prompts prepared (image read, processed, tokenized) inside the timing. Instances
                // run in parallel; an instance's second order reuses the rows its prompt shares
                // with the first.
                let evalSet = Array(conflicts.prefix(quick ? 2 : evalInstances))
                if runs("eval_uniform") { results.append(try Benchmark.measure("eval_uniform", repeats: 1, detail: "\(evalSet.count) conflict instances x 2 orders, alpha \(alpha)") {
                    m.forgetImageFeatures()
                    _ = try Parallel.map(evalSet.count) { i in
                        var shared: SharedPrefix?
                        return try OptionOrder.allCases.map { o in
                            let p = try Probe(model: m, template: template, instance: evalSet[i], order: o, instruction: .none)
                            let st = vectors.steering(window: window, scales: [alpha], promptLength: p.input.length)
                            let r = m.lastLogits(try m.modelInput(p.input), steering: st, sharing: shared)
                            shared = r.pass
                            return p.answer(r.logits).argmaxClass
                        }
                    }
                }) }
                return results
            }
            // Rounds: the PyTorch reference, then the engine, alternately; each side keeps
            // its best round, so that the machine's drift between the two does not decide
            // the ratios.
            let torchDir = jsonOut.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? NSTemporaryDirectory()
            var swiftRounds: [[BenchmarkResult]] = [], torchRounds: [[String: Double]] = []
            var torchInfo: [String: Any] = [:]
            for r in 1...rounds {
                if let torchCommand, only.isEmpty || only.contains(where: { $0 != "large" }) {
                    let out = torchDir + "/torch-round-\(r).json"
                    try runTorchCommand(torchCommand, arguments: quick ? ["--quick"] : [], out: out)
                    torchInfo = try JSONObject.load(out).raw
                    torchRounds.append(torchSeconds(torchInfo))
                }
                swiftRounds.append(try defaultRound())
                if rounds > 1 { print("round \(r) of \(rounds) done") }
            }
            var results = swiftRounds[0].indices.map { i in swiftRounds.map { $0[i] }.min { $0.seconds < $1.seconds }! }
            // (d) prefill and decode on a large checkpoint.
            var largeInfo: [String: Any] = [:]
            var largeText: TextConfig?
            var torchLarge: [String: Double] = [:]
            if let large, runs("large") {
                if let torchCommand {
                    let out = torchDir + "/torch-large.json"
                    try runTorchCommand(torchCommand, arguments: ["--only", "large", "--large", large] + (quick ? ["--quick"] : []), out: out)
                    torchLarge = try readTorch(out)
                }
                let t0 = Benchmark.now()
                let big = try LlavaModel(folder: large)
                largeText = big.config.text
                largeInfo["load_seconds"] = Benchmark.now() - t0
                let img = AMPSModel.RGBImage(width: big.config.vision.imageSize, height: big.config.vision.imageSize,
                                             pixels: (0..<(big.config.vision.imageSize * big.config.vision.imageSize * 3)).map { UInt8(($0 * 37) % 251) })
                let words = Array(repeating: "hello", count: 100).joined(separator: " ")
                let x = try big.prepare(prompt: big.processor.imageToken + "\n" + words, image: img, imageName: "synthetic")
                largeInfo["prompt_tokens"] = x.length
                results.append(Benchmark.measure("large_prefill", repeats: quick ? 1 : 3, detail: "\(x.length) tokens (one image + text)") {
                    _ = big.run(x)
                })
                // Decoding timed on its own: `newTokens` single-token forward passes after the
                // prefill (the first new token comes from the prefill's logits).
                let newTokens = quick ? 4 : 32
                var prefilled = 0.0
                let dec = Benchmark.measure("large_decode", repeats: 1, detail: "") {
                    _ = big.generate(x, maxNewTokens: newTokens + 1, stopAtEOS: false, afterPrefill: { prefilled = Benchmark.now() })
                    prefilled = Benchmark.now() - prefilled
                }
                var d = dec
                d.seconds = max(1e-9, prefilled)
                d.gflop = max(0, dec.gflop - results.last!.gflop)  // the closure's count includes its prefill
                d.detail = "\(newTokens) single-token steps after the prefill (tokens/s = \(String(format: "%.2f", Double(newTokens) / d.seconds)))"
                results.append(d)
                largeInfo["peak_rss_mib"] = peakRSSMiB()
            }
            // Key-to-frame latency of the inspector while its engine is busy.
            var keyInfo: [String: Any] = [:]
            if keys > 0 {
                let resources = try method.resources(m)
                let setup = InspectorApp.Setup(model: m, template: template, instances: try method.instances(),
                                               resources: resources, window: window, perturbation: settings, alpha: Double(alpha),
                                               keyMap: InspectorAction.defaultKeyMap, terminalSettings: TerminalSettings())
                let r = KeyLatencyBenchmark.run(setup, keys: quick ? 50 : keys)
                keyInfo = ["keys": r.keys, "p50_ms": r.p50Milliseconds, "p99_ms": r.p99Milliseconds, "max_ms": r.maxMilliseconds,
                           "engine_events": r.engineEvents]
                print(String(format: "key-to-frame latency over %d keys with the engine busy: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                             r.keys, r.p50Milliseconds, r.p99Milliseconds, r.maxMilliseconds))
            }
            // The roofline: sgemm at the shapes the workloads use.
            // The machine's limit: OpenBLAS on every worker's core, at the workloads' shapes.
            BLAS.threadCount = Parallel.workers
            defer { BLAS.threadCount = 1 }
            var gemms: [GemmResult] = []
            let rows = probe.input.length * settings.samples
            for (mm, nn, kk, label) in Benchmark.modelShapes(m.config.text, rows: rows, label: "default N-batch") {
                gemms.append(Benchmark.gemm(m: mm, n: nn, k: kk, label: label, minSeconds: quick ? 0.02 : 0.3))
            }
            if let text = largeText {
                for (mm, nn, kk, label) in Benchmark.modelShapes(text, rows: (largeInfo["prompt_tokens"] as? Int) ?? 829, label: "large prefill") {
                    gemms.append(Benchmark.gemm(m: mm, n: nn, k: kk, label: label, minSeconds: quick ? 0.02 : 0.5))
                }
            }
            let roofline = gemms.map(\.gflops).max() ?? 0
            // PyTorch's best: over the rounds, the --torch file and the large run.
            var torch: [String: Double] = [:]
            for t in torchRounds + [torchLarge] + (try torchJSON.map { [try readTorch($0)] } ?? []) {
                for (k, v) in t { torch[k] = min(v, torch[k] ?? .infinity) }
            }
            torch["steered_live"] = torch["steered_forward"]
            if let c = torchInfo["cpu_capability"] as? String { print("PyTorch: CPU capability \(c) (its kernels' instruction set)") }
            print("BLAS: \(BLAS.configuration); engine kernels \(BLAS.kernelInstructionSet); engine workers \(Parallel.workers), BLAS single-threaded inside them; OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)")")
            print("sgemm roofline: \(String(format: "%.1f", roofline)) GFLOP/s (OpenBLAS with \(Parallel.workers) threads, best of \(gemms.count) model shapes)")
            print("workload".rightPad(18) + "swift s".leftPad(10) + "torch s".leftPad(10) + "speedup".leftPad(9) + "GFLOP/s".leftPad(9) + "of roof".leftPad(9))
            var rowsJSON: [[String: Any]] = []
            for r in results {
                let t = torch[r.name]
                let ratio = t.map { $0 / r.seconds }
                print(r.name.rightPad(18) + String(format: "%10.4f", r.seconds) + (t.map { String(format: "%10.4f", $0) } ?? "       n/a")
                      + (ratio.map { String(format: "%8.2fx", $0) } ?? "      n/a") + String(format: "%9.1f", r.gflops)
                      + String(format: "%8.0f%%", roofline > 0 ? 100 * r.gflops / roofline : 0) + "   " + r.detail)
                rowsJSON.append(["name": r.name, "swift_seconds": r.seconds, "torch_seconds": jnum(t), "speedup": jnum(ratio),
                                 "gflop": r.gflop, "gflops": r.gflops, "fraction_of_roofline": roofline > 0 ? r.gflops / roofline : 0,
                                 "repeats": r.repeats, "detail": r.detail])
            }
            var roundsJSON: [String: Any] = [:]
            if swiftRounds.count > 1 || torchRounds.count > 1 {
                print("rounds (best of each side above; the machine drifts between rounds):")
                for (i, r) in swiftRounds[0].enumerated() {
                    let sw = swiftRounds.map { $0[i].seconds }
                    let tk = r.name == "steered_live" ? "steered_forward" : r.name
                    let to = torchRounds.compactMap { $0[tk] }
                    print("  " + r.name.rightPad(16) + " swift " + sw.map { String(format: "%.4f", $0) }.joined(separator: " ")
                          + (to.isEmpty ? "" : "   torch " + to.map { String(format: "%.4f", $0) }.joined(separator: " ")))
                    roundsJSON[r.name] = ["swift_seconds": sw, "torch_seconds": to]
                }
            }
            let peak = peakRSSMiB()
            print(String(format: "peak resident memory: %.1f MiB", peak))
            if let jsonOut {
                let obj: [String: Any] = [
                    "blas": BLAS.configuration, "kernels": BLAS.kernelInstructionSet, "openblas_coretype": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "", "threads": Parallel.workers, "roofline_gflops": roofline,
                    "gemm": gemms.map { ["m": $0.m, "n": $0.n, "k": $0.k, "gflops": $0.gflops, "label": $0.label] },
                    "workloads": rowsJSON, "rounds": roundsJSON, "round_count": rounds,
                    "torch_cpu_capability": (torchInfo["cpu_capability"] as? String) ?? "", "large": largeInfo, "key_latency": keyInfo, "peak_rss_mib": peak, "quick": quick,
                    "model": m.name, "samples": settings.samples,
                ]
                try writeResults(obj, to: jsonOut)
            }
        }
    }

    /// `--engine-map`: the MCS map of the first conflict instance (or --instance) on whichever
    /// engine was chosen, `repeats` times (each with its clean pass), every time reported.
    func benchEngineMap() throws {
        let e = try model.startEngine()
        let set = try method.instances().instances
        guard let inst = try instance.map({ id in try InstanceSet(path: method.data, instances: set).instance(id: id) })
                ?? set.first(where: \.isConflict) else { throw AMPSError.invalidInput("no conflict instance to benchmark on") }
        let settings = try method.perturbation()
        var layers = Array(0..<e.layerCount)
        if let mapLayers {
            let p = mapLayers.split(separator: "-").compactMap { Int($0) }
            guard p.count == 2, p[0] >= 0, p[0] <= p[1], p[1] < e.layerCount else {
                throw AMPSError.invalidInput("--map-layers must be FIRST-LAST within 0-\(e.layerCount - 1) (got '\(mapLayers)')")
            }
            layers = Array(p[0]...p[1])
        }
        let probe = try Probe(model: e, template: try method.template(e), instance: inst, order: .visionFirst, instruction: .none)
        _ = try ModalityContribution.map(model: e, pass: try e.run(probe.input), probe: probe, layers: [e.layerCount - 1], settings: settings)  // warm-up
        var times: [Double] = []
        var first: ContributionMap?
        for _ in 0..<max(1, repeats) {
            let t0 = Benchmark.now()
            let map = try ModalityContribution.map(model: e, pass: try e.run(probe.input), probe: probe, layers: layers, settings: settings)
            times.append(Benchmark.now() - t0)
            first = first ?? map
        }
        let engineName = e.engineName == "swift" ? "swift" : "protocol"
        print("mcs_map on the \(engineName) engine (\(e.engineName)): \(e.name), layers \(layers.first!)-\(layers.last!) of \(e.layerCount) x 2 x N=\(settings.samples), "
              + "\(probe.input.length) tokens (\(probe.visionPositions.count) image, \(probe.textPositions.count) context)")
        print("seconds: " + times.map { String(format: "%.3f", $0) }.joined(separator: " ") + String(format: "   best %.3f", times.min()!))
        if let jsonOut {
            let obj: [String: Any] = [
                "workload": "mcs_map", "engine": e.engineName, "model": e.name, "layers": e.layerCount, "map_layers": [layers.first!, layers.last!], "samples": settings.samples,
                "tokens": probe.input.length, "image_tokens": probe.visionPositions.count, "instance": inst.id,
                "seconds": times, "best_seconds": times.min()!, "threads": Parallel.workers,
                "openblas_coretype": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "",
                "mcs_vision": first!.layers.map { $0.vision.value }, "mcs_text": first!.layers.map { $0.text.value },
            ]
            try writeResults(obj, to: jsonOut)
        }
    }

    /// The results as pretty JSON at `path` (its folder made when missing).
    func writeResults(_ obj: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw AMPSError.file(path, "cannot be written") }
    }

    /// Runs the PyTorch command through the shell with `arguments` and `--out FILE` appended.
    func runTorchCommand(_ command: String, arguments: [String], out: String) throws {
        let quoted = (arguments + ["--out", out]).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command + " " + quoted.joined(separator: " ")]
        do { try p.run() } catch { throw AMPSError.invalidInput("--torch-command: cannot start /bin/sh: \(error.localizedDescription)") }
        p.waitUntilExit()
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            throw AMPSError.invalidInput("--torch-command failed (exit status \(p.terminationStatus)): \(command)")
        }
    }

    /// tools/bench_torch.py's JSON: {"workloads": {name: {"seconds": s}}} or {name: s}.
    func readTorch(_ path: String) throws -> [String: Double] { torchSeconds(try JSONObject.load(path).raw) }

    /// The seconds of each workload in a loaded tools/bench_torch.py object.
    func torchSeconds(_ raw: [String: Any]) -> [String: Double] {
        let src = (raw["workloads"] as? [String: Any]) ?? raw
        var out: [String: Double] = [:]
        for (k, v) in src {
            if let n = v as? NSNumber { out[k] = n.doubleValue }
            else if let d = v as? [String: Any], let s = d["seconds"] as? NSNumber { out[k] = s.doubleValue }
        }
        return out
    }
}

/// Peak resident set size of this process (VmHWM), MiB.
func peakRSSMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}
