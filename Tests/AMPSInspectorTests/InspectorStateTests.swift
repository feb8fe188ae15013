@testable import AMPSInspector
import AMPSMethod
import AMPSTerminal
import XCTest

/// Key handling and engine results, without a terminal.
final class InspectorStateTests: XCTestCase {
    func testAlphaKeysChangeSteeringAndRequestANewGeneration() {
        var s = InspectorFixtures.populated(focus: .list)
        let g = s.generation
        XCTAssertEqual(s.apply(.alphaUp), [.request])
        XCTAssertEqual(s.steering.alpha, 1.75, accuracy: 1e-9)
        XCTAssertEqual(s.apply(.alphaDownCoarse), [.request])
        XCTAssertEqual(s.steering.alpha, 0.75, accuracy: 1e-9)
        XCTAssertGreaterThan(s.generation, g)
        XCTAssertNil(s.answers, "steered answers of the old alpha must not stay on screen")
        XCTAssertNotNil(s.mapRows[0], "the MCS map does not depend on alpha and is kept")
    }

    func testStaleEngineResultsAreDropped() {
        var s = InspectorFixtures.populated(focus: .list)
        let old = s.generation
        _ = s.apply(.down)
        s.receive(.answers(generation: old, InspectorFixtures.populated(focus: .list).answers!))
        XCTAssertNil(s.answers)
        s.receive(.answers(generation: s.generation, InspectorFixtures.populated(focus: .list).answers!))
        XCTAssertNotNil(s.answers)
    }

    func testLayerStepsStayInRangeAndTabCyclesPanes() {
        var s = InspectorFixtures.populated(focus: .layer)
        for _ in 0..<20 { _ = s.apply(.layerNext) }
        XCTAssertEqual(s.layer, 7)
        for _ in 0..<20 { _ = s.apply(.layerPrevious) }
        XCTAssertEqual(s.layer, 0)
        s.focus = .list
        for _ in 0..<Pane.allCases.count { _ = s.apply(.nextPane) }
        XCTAssertEqual(s.focus, .list)
        _ = s.apply(.previousPane)
        XCTAssertEqual(s.focus, .steering)
    }

    func testFilterNarrowsTheListByTextOrTask() {
        var s = InspectorFixtures.populated(focus: .list)
        _ = s.apply(.filter)
        for c in "count" { _ = s.typeIntoFilter(.character(c)) }
        _ = s.typeIntoFilter(.enter)
        XCTAssertFalse(s.filterEditing)
        XCTAssertFalse(s.visibleIndices.isEmpty)
        XCTAssertTrue(s.visibleIndices.allSatisfy { s.instances[$0].instance.task == "counting" })
        _ = s.apply(.filter)
        _ = s.typeIntoFilter(.escape)
        XCTAssertEqual(s.visibleIndices.count, s.instances.count)
    }

    func testSortByMCRUsesTheComputedRatios() {
        var s = InspectorFixtures.populated(focus: .list)
        _ = s.apply(.sortByMCR)
        let ratios = s.visibleIndices.compactMap { s.listStats[$0]?.windowRatio }
        XCTAssertEqual(ratios, ratios.sorted())
    }

    func testWindowStaysInsideTheModel() {
        var s = InspectorFixtures.populated(focus: .steering)
        for _ in 0..<10 { _ = s.apply(.windowLater) }
        XCTAssertEqual(s.steering.window.upperBound, 7)
        for _ in 0..<10 { _ = s.apply(.windowNarrower) }
        XCTAssertEqual(s.steering.window.count, 1)
        for _ in 0..<20 { _ = s.apply(.windowEarlier) }
        XCTAssertEqual(s.steering.window.lowerBound, 0)
    }

    func testModeCycleSkipsModesWithoutTheirFiles() {
        var s = InspectorFixtures.populated(focus: .list)
        s.hasScaling = false; s.hasScaler = false
        s.steering.mode = .none
        _ = s.apply(.cycleMode)
        XCTAssertEqual(s.steering.mode, .uniform)
        _ = s.apply(.cycleMode)
        XCTAssertEqual(s.steering.mode, SteeringMode.none)
    }
}

/// docs/USAGE.md documents every action and its default keys.
final class UsageDocumentationTests: XCTestCase {
    func testUsageListsEveryAction() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: repo.appendingPathComponent("docs/USAGE.md"), encoding: .utf8)
        for action in InspectorAction.allCases {
            XCTAssertTrue(text.contains("`\(action.name)`"), "docs/USAGE.md does not list the action \(action.name)")
            XCTAssertTrue(text.contains(action.helpText), "docs/USAGE.md lacks the help text of \(action.name)")
        }
    }

    /// The key table in USAGE.md is the generated one, whole: one section per help-overlay
    /// section, every key by its own label (`]`, not a type name).
    func testUsageKeyTableIsTheGeneratedOne() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: repo.appendingPathComponent("docs/USAGE.md"), encoding: .utf8)
        let table = InspectorAction.defaultKeyMap.markdownTable()
        XCTAssertTrue(text.contains(table), "docs/USAGE.md's key table differs from `amps keys`; regenerate it")
        XCTAssertTrue(table.contains("| `]` | `layer-next` | Next layer |"), table)
        let sections = table.split(separator: "\n").filter { $0.hasPrefix("### ") }
        XCTAssertEqual(sections.count, Set(sections).count, "a section appears twice: \(sections)")
        XCTAssertEqual(sections.map { String($0.dropFirst(4)) },
                       InspectorAction.defaultKeyMap.helpSections().map(\.title))
    }
}
