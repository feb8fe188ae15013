import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// The MCS map of one default-model instance against the PyTorch + transformers-hooks
/// reference (tools/reference_mcs.py), which was fed the very noise samples the Swift side
/// draws (`amps diagnose --dump-noise`). Tolerance: 1e-4 relative per layer and modality.
final class MCSReferenceTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func check(_ file: String) throws {
        let url = Self.fixtures.appendingPathComponent(file)
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let command = (ref["swift_command"] as? String) ?? ""
        func flag(_ name: String) -> String? {
            let parts = command.split(separator: " ").map(String.init)
            guard let i = parts.firstIndex(of: name), i + 1 < parts.count else { return nil }
            return parts[i + 1].trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        }
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent(flag("--model") ?? "samples/model").path)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent(flag("--data") ?? "samples/data/test.jsonl").path)
        let inst = try data.instance(id: "\(ref["instance"]!)")
        let order = OptionOrder(rawValue: flag("--order") ?? "vision-first")!
        let probe = try Probe(model: model, template: try PromptTemplate.load(modelFolder: model.folder), instance: inst,
                              order: order, instruction: Instruction(rawValue: flag("--instruction") ?? "none")!)
        var settings = PerturbationSettings()
        settings.samples = (ref["samples"] as! NSNumber).intValue
        settings.target = PerturbationSettings.Target(rawValue: ref["target"] as! String)!
        settings.functional = Functional(rawValue: ref["functional"] as! String)!
        settings.seed = UInt64(flag("--seed") ?? "0")!
        settings.sigmaScale = Double(flag("--sigma") ?? "1")!
        XCTAssertEqual(probe.prompt, ref["prompt"] as? String, "the reference was made from the same prompt")
        let pass = try model.run(probe.input)
        let clean = probe.answer(pass.logits)
        let u = ref["unsteered"] as! [String: Any]
        XCTAssertEqual(clean.pVision, (u["p_vision"] as! NSNumber).doubleValue, accuracy: 1e-5)
        XCTAssertEqual(clean.pText, (u["p_text"] as! NSNumber).doubleValue, accuracy: 1e-5)
        let map = try ModalityContribution.map(model: model, pass: pass, probe: probe, settings: settings)
        let layers = ref["layers"] as! [[String: Any]]
        XCTAssertEqual(layers.count, model.layerCount)
        var nonzero = 0
        for row in layers {
            let l = (row["layer"] as! NSNumber).intValue
            for (key, mine) in [("mcs_vision", map.layers[l].vision.value), ("mcs_text", map.layers[l].text.value)] {
                let theirs = (row[key] as! NSNumber).doubleValue
                if max(abs(theirs), abs(mine)) > 1e-9 { nonzero += 1 }
                // 1e-4 relative; values that are pure float32 rounding noise (below ~1e-10 apart) pass.
                let rel = abs(mine - theirs) / max(abs(mine), abs(theirs), 1e-12)
                XCTAssertTrue(abs(mine - theirs) <= 1e-4 * max(abs(mine), abs(theirs)) + 1e-10,
                              "\(file) layer \(l) \(key): swift \(mine) vs reference \(theirs) (relative \(rel))")
            }
        }
        XCTAssertGreaterThanOrEqual(nonzero, 3, "the reference map must not be trivially zero")
    }

    func testKVPerturbationMapMatchesThePyTorchReference() throws { try check("mcs_reference.json") }
    func testResidualPerturbationMapMatchesThePyTorchReference() throws { try check("mcs_reference_residual.json") }
}
