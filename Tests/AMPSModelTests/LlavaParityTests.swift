import AMPSCore
@testable import AMPSModel
import XCTest

/// The engine against transformers' own outputs on checkpoints transformers wrote
/// (tools/make_fixtures.py). Tolerance: 1e-4 max abs difference, float32 throughout.
///
/// Every test runs twice: with the engine on one thread and its kernels at the
/// environment's instruction set (AVX2 under OPENBLAS_CORETYPE=Haswell), and with two
/// workers splitting all it can (sequences of a batch, row blocks, attention heads,
/// feature blocks; the thresholds lowered so that these small checkpoints split too) and
/// the kernels at the CPU's best (AVX-512 where it has it) and every bf16 weight kept in
/// bf16 (the large models' path, `Linear.halfPrecisionMinimumElements`).
final class LlavaParityTests: XCTestCase {
    let tolerance: Float = 1e-4

    /// Runs `body` with the engine on one thread, then with two workers splitting all it can
    /// on the CPU's best kernels, bf16 weights kept in bf16.
    func inEveryEngineMode(_ body: () throws -> Void) rethrows {
        try body()
        try BLAS.withBestKernels { try Linear.keepingEveryHalfWeight { try Parallel.splittingEverything { try body() } } }
    }

    func loaded(_ name: String) throws -> (Fixture, LlavaModel, ModelInput) {
        let f = try Fixture(name)
        let m = try LlavaModel(folder: f.folder)
        let x = try m.prepare(prompt: f.expected["prompt"] as! String, imagePath: f.folder + "/image.png")
        return (f, m, x)
    }

    func testInputIdsAndPixelsMatchTheProcessor() throws {
        try inEveryEngineMode {
            for name in Fixture.cases {
                let (f, m, x) = try loaded(name)
                XCTAssertEqual(x.ids, f.ints("input_ids"), "\(name): input_ids")
                XCTAssertEqual(x.imagePositions, f.ints("image_positions"), "\(name): image positions")
                assertClose(x.pixelValues!, try f.tensor("pixel_values"), tolerance: 1e-6, "\(name): pixel_values")
                assertClose(m.imageFeatures(x.pixelValues!), try f.tensor("image_features"), tolerance: tolerance, "\(name): image_features")
                assertClose(m.embeddings(x), try f.tensor("embeds"), tolerance: tolerance, "\(name): embeds")
            }
        }
    }

    func testEveryLayerLogitsAndLogitLens() throws {
        try inEveryEngineMode {
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
    }

    /// A bf16 checkpoint's 2-D weights stay bf16 when large enough (here: all of them, the
    /// threshold lowered), its norms and f32 checkpoints' weights do not; the results agree
    /// with the widened model's.
    func testBF16CheckpointKeepsItsWeightsInBF16() throws {
        let (_, widened, x) = try loaded("llava_clip_llama_bf16")
        let (_, kept, _) = try Linear.keepingEveryHalfWeight { try loaded("llava_clip_llama_bf16") }
        let (_, f32, _) = try Linear.keepingEveryHalfWeight { try loaded("llava_clip_llama_default") }
        let layer = kept.decoder.layers[0]
        for lin in [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down, kept.decoder.lmHead] {
            XCTAssertNotNil(lin.halfWeight)
            XCTAssertNil(lin.weight)
        }
        XCTAssertNil(widened.decoder.layers[0].q.halfWeight, "small weights are widened by default")
        XCTAssertNil(f32.decoder.layers[0].q.halfWeight, "f32 checkpoints stay f32")
        assertClose(kept.run(x).logits, widened.run(x).logits, tolerance: 1e-5, "bf16-kept against widened logits")
        XCTAssertEqual(kept.generate(x, maxNewTokens: 6), widened.generate(x, maxNewTokens: 6))
    }

    func testGreedyGenerationMatchesTransformers() throws {
        try inEveryEngineMode {
            for name in Fixture.cases {
                let (f, m, x) = try loaded(name)
                XCTAssertEqual(m.generate(x, maxNewTokens: 8), f.ints("generated_ids"), "\(name): generate")
            }
        }
    }

    func steering(_ f: Fixture, scales: [Float], positions: PositionFilter) throws -> Steering {
        let u = try f.tensor("steer_vector")
        var v: [Int: Tensor] = [:]
        for l in f.ints("steer_layers") { v[l] = u }
        return Steering(vectors: v, scales: scales, positions: positions)
    }

    func testSteeringHookMatchesPyTorchHooks() throws {
        try inEveryEngineMode {
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
                // … resumed from the clean pass below the first steered layer, recorded as the inspector does …
                let resumed = m.run(x, steering: try steering(f, scales: [scale], positions: .all), resumingFrom: clean)
                assertClose(resumed.logits, try f.tensor("logits_steered_all"), tolerance: tolerance, "\(name): steered pass resumed")
                for l in 0...m.layerCount { assertClose(resumed.layerInputs[l], all.layerInputs[l], tolerance: 1e-5, "\(name): resumed layer \(l)") }
                let gen = m.generate(x, maxNewTokens: 8, steering: try steering(f, scales: [scale], positions: .all))
                XCTAssertEqual(gen, f.ints("generated_ids_steered"), "\(name): steered generation")
            }
        }
    }

    func testKVNoiseAndResidualNoiseHooksMatchPyTorchHooks() throws {
        try inEveryEngineMode {
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

    func testSharedPrefixPassEqualsTheFullPass() throws {
        try inEveryEngineMode {
            for name in Fixture.cases {
                let (f, m, x) = try loaded(name)
                let st = try steering(f, scales: [f.float("steer_scale")], positions: .all)
                // A prompt that differs from x only in its last two tokens shares all rows before them.
                var y = x
                for i in (y.length - 2)..<y.length {
                    y.ids[i] = (x.ids[i] + 1) % m.vocabSize
                    if y.ids[i] == m.config.imageTokenId { y.ids[i] = (y.ids[i] + 1) % m.vocabSize }
                }
                let first = m.lastLogits(x, steering: st, sharing: nil)
                let second = m.lastLogits(y, steering: st, sharing: first.pass)
                XCTAssertEqual(first.pass.reusableLength(y, steering: st), y.length - 2, "\(name): shared rows")
                assertClose(first.logits, try f.tensor("logits_steered_all"), tolerance: tolerance, "\(name): first prompt")
                assertClose(second.logits, m.lastLogits(y, steering: st), tolerance: 1e-5, "\(name): prompt after a shared prefix")
                // Nothing is shared across a different steering or image.
                XCTAssertEqual(first.pass.reusableLength(y, steering: nil), 0, "\(name): other steering")
                var z = y
                z.pixelValues = Tensor(zeros: y.pixelValues!.shape)
                XCTAssertEqual(first.pass.reusableLength(z, steering: st), 0, "\(name): other image")
            }
        }
    }
}
