import AMPSCore
@testable import AMPSModel
import XCTest

/// The engine against transformers' own outputs on checkpoints transformers wrote
/// (tools/make_fixtures.py). Tolerance: 1e-4 max abs difference, float32 throughout.
final class LlavaParityTests: XCTestCase {
    let tolerance: Float = 1e-4

    func loaded(_ name: String) throws -> (Fixture, LlavaModel, ModelInput) {
        let f = try Fixture(name)
        let m = try LlavaModel(folder: f.folder)
        let x = try m.prepare(prompt: f.expected["prompt"] as! String, imagePath: f.folder + "/image.png")
        return (f, m, x)
    }

    func testInputIdsAndPixelsMatchTheProcessor() throws {
        for name in Fixture.cases {
            let (f, m, x) = try loaded(name)
            XCTAssertEqual(x.ids, f.ints("input_ids"), "\(name): input_ids")
            XCTAssertEqual(x.imagePositions, f.ints("image_positions"), "\(name): image positions")
            assertClose(x.pixelValues!, try f.tensor("pixel_values"), tolerance: 1e-6, "\(name): pixel_values")
            assertClose(m.imageFeatures(x.pixelValues!), try f.tensor("image_features"), tolerance: tolerance, "\(name): image_features")
            assertClose(m.embeddings(x), try f.tensor("embeds"), tolerance: tolerance, "\(name): embeds")
        }
    }

    func testEveryLayerLogitsAndLogitLens() throws {
        for name in Fixture.cases {
            let (f, m, x) = try loaded(name)
            let pass = m.run(x)
            for l in 0..<m.layerCount {
                assertClose(pass.layerInputs[l + 1], try f.tensor("layer_out.\(l)"), tolerance: tolerance, "\(name): layer \(l) output")
                assertClose(m.logitLens(pass, layer: l), try f.tensor("lens_logits.\(l)"), tolerance: tolerance, "\(name): logit lens \(l)")
            }
            assertClose(pass.logits, try f.tensor("logits"), tolerance: tolerance, "\(name): logits")
            XCTAssertEqual(argmax(pass.logits), f.ints("top_tokens")[0], "\(name): top token")
        }
    }

    func testGreedyGenerationMatchesTransformers() throws {
        for name in Fixture.cases {
            let (f, m, x) = try loaded(name)
            XCTAssertEqual(m.generate(x, maxNewTokens: 8), f.ints("generated_ids"), "\(name): generate")
        }
    }

    func steering(_ f: Fixture, scales: [Float], positions: PositionFilter) throws -> Steering {
        let u = try f.tensor("steer_vector")
        var v: [Int: Tensor] = [:]
        for l in f.ints("steer_layers") { v[l] = u }
        return Steering(vectors: v, scales: scales, positions: positions)
    }

    func testSteeringHookMatchesPyTorchHooks() throws {
        for name in Fixture.cases {
            let (f, m, x) = try loaded(name)
            let scale = f.float("steer_scale")
            // Through a full steered pass …
            let all = m.run(x, steering: try steering(f, scales: [scale], positions: .all))
            assertClose(all.logits, try f.tensor("logits_steered_all"), tolerance: tolerance, "\(name): steered (all positions)")
            // … and resumed from the clean pass, two scales in one batch (row 1 is the target).
            let clean = m.run(x)
            let last3 = PositionFilter.positions(Set(f.ints("steer_positions_last3")), generated: true)
            let batch = m.logitsWithSteering(clean, steering: try steering(f, scales: [0, scale], positions: last3), batch: 2)
            let row1 = Tensor(shape: [m.vocabSize], values: Array(batch.array[m.vocabSize...]))
            let row0 = Tensor(shape: [m.vocabSize], values: Array(batch.array[..<m.vocabSize]))
            assertClose(row1, try f.tensor("logits_steered_last3"), tolerance: tolerance, "\(name): steered (last 3)")
            assertClose(row0, try f.tensor("logits"), tolerance: tolerance, "\(name): scale 0 row is the clean pass")
            let gen = m.generate(x, maxNewTokens: 8, steering: try steering(f, scales: [scale], positions: .all))
            XCTAssertEqual(gen, f.ints("generated_ids_steered"), "\(name): steered generation")
        }
    }

    func testKVNoiseAndResidualNoiseHooksMatchPyTorchHooks() throws {
        for name in Fixture.cases {
            let (f, m, x) = try loaded(name)
            let pass = m.run(x)
            let kv = m.logitsWithKVNoise(pass, layer: f.int("kv_layer"), positions: f.ints("kv_positions"),
                                         k: try f.tensor("kv_noise_k"), v: try f.tensor("kv_noise_v"))
            assertClose(kv, try f.tensor("logits_kv_noise"), tolerance: tolerance, "\(name): KV noise on image positions")
            let kvText = m.logitsWithKVNoise(pass, layer: f.int("kv_layer"), positions: f.ints("kv_text_positions"),
                                             k: try f.tensor("kv_text_noise_k"), v: try f.tensor("kv_text_noise_v"))
            assertClose(kvText, try f.tensor("logits_kv_text_noise"), tolerance: tolerance, "\(name): KV noise on text positions")
            let res = m.logitsWithResidualNoise(pass, layer: f.int("resid_layer"), positions: f.ints("resid_positions"),
                                                noise: try f.tensor("resid_noise"))
            assertClose(res, try f.tensor("logits_resid_noise"), tolerance: tolerance, "\(name): residual noise")
        }
    }
}
