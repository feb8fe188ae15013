import AMPSCore
import AMPSMethod
import AMPSTerminal
import Foundation

/// An instance as the inspector shows it (the image already decoded).
public struct InstanceSummary: Sendable {
    public var instance: Instance
    private var givenImage: AMPSTerminal.RGBImage?
    private var thumbnails: ThumbnailCache?

    public init(instance: Instance, image: AMPSTerminal.RGBImage?) { self.instance = instance; givenImage = image }

    /// An instance whose image is decoded (and shrunk) when first drawn.
    public init(instance: Instance, thumbnails: ThumbnailCache) { self.instance = instance; self.thumbnails = thumbnails }

    public var image: AMPSTerminal.RGBImage? { givenImage ?? thumbnails?.thumbnail(for: instance.imagePath) }
}

/// How the instance list is ordered.
public enum ListSort: String, Sendable { case file, mcr = "MCR", sensitivity = "alpha_flip" }

/// What handling a key asks the app to do besides redrawing.
public enum InspectorEffect: Equatable, Sendable { case request, quit, export, saveScreen }

/// The whole state of the inspector: what the user chose, and the latest results the
/// engine sent for it. A plain value, so every screen can be rendered (and tested)
/// without a terminal or a model.
public struct InspectorState: Sendable {
    public var modelName: String
    /// The protocol engine that runs the model (name, device, dtype); nil in process.
    public var engineLabel: String?
    public var dataName: String
    public var layerCount: Int
    public var instances: [InstanceSummary]
    public var hasVectors: Bool
    public var hasScaling: Bool
    public var hasScaler: Bool
    /// Trained L2S network / learned AMPS module (toward vision) present.
    public var hasL2S = false
    public var hasAmpsLearned = false

    public var focus: Pane = .list
    /// The detail pane shown beside the list in the compact layout.
    public var detail: Pane = .instance
    public var list = ListState()
    public var filter = ""
    public var filterEditing = false
    public var sort = ListSort.file
    public var showHelp = false
    public var helpScroll = 0
    public var showValues = false
    /// Wrapped context lines scrolled off the top of the instance pane, and how far they
    /// can go (set as the pane is drawn, for the width it has).
    public var contextScroll = 0
    public var contextScrollLimit = 0

    public var order = OptionOrder.visionFirst
    public var instruction = Instruction.none
    public var steering: SteeringSettings
    public var perturbation = PerturbationSettings()
    public var layer: Int
    public var alphaGrid: [Double]
    public var generation = 0

    public var answers: SteeredAnswers?
    public var layerDetail: LayerDetail?
    public var curve: SensitivityCurve?
    /// The curve's alpha_flip and alpha_collapse, bisected (nil until the engine sends them).
    public var thresholds: SensitivityThresholds?
    public var otherOrderCurve: SensitivityCurve?
    public var mapRows: [LayerContribution?]
    public var listStats: [Int: ListStats] = [:]
    public var listSignature = 0
    public var busy: String?
    public var message: String?
    public var failure: String?
    /// Set when the engine process is gone: the error screen replaces the panes.
    public var engineLost: String?
    public var tick = 0

    public static let alphaFine = 0.25, alphaCoarse = 1.0, alphaLimit = 50.0

    public init(modelName: String, dataName: String, layerCount: Int, instances: [InstanceSummary],
                hasVectors: Bool, hasScaling: Bool, hasScaler: Bool, window: ClosedRange<Int>, alpha: Double = 0,
                alphaGrid: [Double] = SensitivityCurve.grid(max: 4, steps: 16)) {
        self.modelName = modelName; self.dataName = dataName; self.layerCount = layerCount; self.instances = instances
        self.hasVectors = hasVectors; self.hasScaling = hasScaling; self.hasScaler = hasScaler
        steering = SteeringSettings(mode: hasVectors ? .uniform : .none, alpha: alpha, window: window)
        layer = window.lowerBound
        self.alphaGrid = alphaGrid
        mapRows = Array(repeating: nil, count: layerCount)
        listSignature = EngineWorker.signature(request())
    }

    // MARK: the list

    /// Indices into `instances`, filtered and sorted as the list shows them.
    public var visibleIndices: [Int] {
        let needle = filter.lowercased()
        var idx = instances.indices.filter { i in
            guard !needle.isEmpty else { return true }
            let inst = instances[i].instance
            return [inst.id, inst.task, inst.question, inst.context, inst.answerVision, inst.answerText, inst.kind.rawValue]
                .contains { $0.lowercased().contains(needle) }
        }
        switch sort {
        case .file: break
        case .mcr: idx.sort { (listStats[$0]?.windowRatio ?? 2) < (listStats[$1]?.windowRatio ?? 2) }
        case .sensitivity: idx.sort { (listStats[$0]?.alphaFlip ?? .infinity) < (listStats[$1]?.alphaFlip ?? .infinity) }
        }
        return idx
    }

    public var selectedIndex: Int? {
        let v = visibleIndices
        guard let s = list.selected, v.indices.contains(s) else { return v.first }
        return v[s]
    }

    public var selected: InstanceSummary? { selectedIndex.map { instances[$0] } }

    public func request() -> EngineRequest {
        EngineRequest(generation: generation, instanceIndex: selectedIndex ?? 0, order: order, instruction: instruction,
                      steering: steering, perturbation: perturbation, layer: layer, alphaGrid: alphaGrid)
    }

    /// Clears the per-instance results and moves to a new generation.
    private mutating func invalidate(map: Bool = true) {
        generation += 1
        answers = nil
        layerDetail = nil
        curve = nil
        thresholds = nil
        otherOrderCurve = nil
        if map { mapRows = Array(repeating: nil, count: layerCount) }
        failure = nil
    }

    // MARK: keys

    /// Text typed while the filter line is open.
    public mutating func typeIntoFilter(_ key: Key) -> [InspectorEffect] {
        switch key {
        case .enter: filterEditing = false
        case .escape: filterEditing = false; filter = ""
        case .backspace, .delete: if !filter.isEmpty { filter.removeLast() }
        case .character(let c): filter.append(c)
        default: return []
        }
        list.clamp(count: visibleIndices.count)
        list.selected = visibleIndices.isEmpty ? nil : min(list.selected ?? 0, visibleIndices.count - 1)
        invalidate()
        return [.request]
    }

    public mutating func apply(_ action: InspectorAction, visibleRows: Int = 10) -> [InspectorEffect] {
        message = nil
        let count = visibleIndices.count
        func moveSelection(_ delta: Int) -> [InspectorEffect] {
            let before = selectedIndex
            list.moveSelection(by: delta, count: count)
            guard selectedIndex != before else { return [] }
            contextScroll = 0
            invalidate()
            return [.request]
        }
        func scrollContext(_ delta: Int) -> [InspectorEffect] {
            contextScroll = max(0, min(contextScrollLimit, contextScroll + delta))
            return []
        }
        func setLayer(_ l: Int) -> [InspectorEffect] {
            let n = max(0, min(layerCount - 1, l))
            guard n != layer else { return [] }
            layer = n
            generation += 1
            layerDetail = nil
            return [.request]
        }
        func setSteering(_ change: (inout SteeringSettings) -> Void) -> [InspectorEffect] {
            var s = steering
            change(&s)
            s.alpha = max(-InspectorState.alphaLimit, min(InspectorState.alphaLimit, (s.alpha * 100).rounded() / 100))
            guard s != steering else { return [] }
            let windowChanged = s.window != steering.window
            steering = s
            generation += 1
            answers = nil
            layerDetail = nil
            if windowChanged { curve = nil; thresholds = nil; otherOrderCurve = nil }
            return [.request]
        }
        func setPerturbation(_ change: (inout PerturbationSettings) -> Void) -> [InspectorEffect] {
            var p = perturbation
            change(&p)
            guard p != perturbation else { return [] }
            perturbation = p
            invalidate()
            return [.request]
        }
        let layerFocus = focus == .map || focus == .layer
        switch action {
        case .quit: return [.quit]
        case .back:
            if showHelp { showHelp = false } else if filterEditing { filterEditing = false } else { focus = .list }
            return []
        case .help: showHelp.toggle(); helpScroll = 0; return []
        case .nextPane, .previousPane:
            let all = Pane.allCases
            let i = all.firstIndex(of: focus)!
            focus = all[(i + (action == .nextPane ? 1 : all.count - 1)) % all.count]
            if focus != .list { detail = focus }
            return []
        case .paneList: focus = .list; return []
        case .paneInstance, .paneMap, .paneSensitivity, .paneLayer, .paneSteering:
            let p: Pane = [.paneInstance: .instance, .paneMap: .map, .paneSensitivity: .sensitivity,
                           .paneLayer: .layer, .paneSteering: .steering][action]!
            focus = p; detail = p
            return []
        case .up:
            if showHelp { helpScroll = max(0, helpScroll - 1); return [] }
            if focus == .instance { return scrollContext(-1) }
            return layerFocus ? setLayer(layer - 1) : moveSelection(-1)
        case .down:
            if showHelp { helpScroll += 1; return [] }
            if focus == .instance { return scrollContext(1) }
            return layerFocus ? setLayer(layer + 1) : moveSelection(1)
        case .pageUp: return focus == .instance ? scrollContext(-max(1, visibleRows - 1)) : moveSelection(-max(1, visibleRows - 1))
        case .pageDown: return focus == .instance ? scrollContext(max(1, visibleRows - 1)) : moveSelection(max(1, visibleRows - 1))
        case .top: return moveSelection(-count)
        case .bottom: return moveSelection(count)
        case .filter: filterEditing = true; focus = .list; return []
        case .sortByMCR: sort = .mcr; list.select(0, count: count); invalidate(); return [.request]
        case .sortBySensitivity: sort = .sensitivity; list.select(0, count: count); invalidate(); return [.request]
        case .sortByFile: sort = .file; list.select(0, count: count); invalidate(); return [.request]
        case .alphaUp: return setSteering { $0.alpha += InspectorState.alphaFine }
        case .alphaDown: return setSteering { $0.alpha -= InspectorState.alphaFine }
        case .alphaUpCoarse: return setSteering { $0.alpha += InspectorState.alphaCoarse }
        case .alphaDownCoarse: return setSteering { $0.alpha -= InspectorState.alphaCoarse }
        case .alphaZero: return setSteering { $0.alpha = 0 }
        case .cycleMode:
            var modes: [SteeringMode] = [.none]
            if hasVectors { modes.append(.uniform) }
            if hasVectors && hasScaling { modes.append(.amps) }
            if hasVectors && hasScaler { modes.append(.learned) }
            if hasVectors && hasL2S { modes.append(.l2s) }
            if hasVectors && hasAmpsLearned { modes.append(.ampsLearned) }
            guard modes.count > 1 else { message = "no steering vectors: run `amps vectors` first"; return [] }
            let i = modes.firstIndex(of: steering.mode) ?? 0
            return setSteering { $0.mode = modes[(i + 1) % modes.count] }
        case .layerNext: return setLayer(layer + 1)
        case .layerPrevious: return setLayer(layer - 1)
        case .windowLater:
            guard steering.window.upperBound < layerCount - 1 else { return [] }
            return setSteering { $0.window = ($0.window.lowerBound + 1)...($0.window.upperBound + 1) }
        case .windowEarlier:
            guard steering.window.lowerBound > 0 else { return [] }
            return setSteering { $0.window = ($0.window.lowerBound - 1)...($0.window.upperBound - 1) }
        case .windowWider:
            guard steering.window.upperBound < layerCount - 1 else { return [] }
            return setSteering { $0.window = $0.window.lowerBound...($0.window.upperBound + 1) }
        case .windowNarrower:
            guard steering.window.count > 1 else { return [] }
            return setSteering { $0.window = $0.window.lowerBound...($0.window.upperBound - 1) }
        case .samplesMore: return setPerturbation { $0.samples = min(512, $0.samples * 2) }
        case .samplesFewer: return setPerturbation { $0.samples = max(2, $0.samples / 2) }
        case .sigmaUp: return setPerturbation { $0.sigmaScale = min(100, ($0.sigmaScale * 1.5 * 1000).rounded() / 1000) }
        case .sigmaDown: return setPerturbation { $0.sigmaScale = max(0.01, ($0.sigmaScale / 1.5 * 1000).rounded() / 1000) }
        case .toggleOrder:
            order = order == .visionFirst ? .textFirst : .visionFirst
            invalidate(); return [.request]
        case .cycleInstruction:
            let all = Instruction.allCases
            instruction = all[(all.firstIndex(of: instruction)! + 1) % all.count]
            invalidate(); return [.request]
        case .toggleValues: showValues.toggle(); return []
        case .export: return [.export]
        case .saveScreen: return [.saveScreen]
        }
    }

    /// Selects the list row under a mouse click (row within the list's visible rows).
    public mutating func click(listRow: Int) -> [InspectorEffect] {
        let target = list.offset + listRow
        guard visibleIndices.indices.contains(target), target != list.selected else { return [] }
        list.select(target, count: visibleIndices.count)
        focus = .list
        invalidate()
        return [.request]
    }

    // MARK: engine results

    /// Applies an engine event; stale ones (older generation) are dropped.
    public mutating func receive(_ event: EngineEvent) {
        switch event {
        case let .answers(g, a): if g == generation { answers = a }
        case let .layer(g, d): if g == generation { layerDetail = d }
        case let .curve(g, c): if g == generation { curve = c }
        case let .thresholds(g, t): if g == generation { thresholds = t }
        case let .otherOrderCurve(g, c): if g == generation { otherOrderCurve = c }
        case let .mapRow(g, row, _, _):
            if g == generation, mapRows.indices.contains(row.layer) { mapRows[row.layer] = row }
        case let .listRow(sig, i, stats):
            if sig == listSignature { listStats[i] = stats }
        case let .busy(text): busy = text
        case let .failure(g, text): if g == generation || g < 0 { failure = text }
        case let .engineLost(text): engineLost = text; busy = nil
        }
    }

    /// Forgets list results computed under other settings (order, instruction, steering).
    public mutating func syncListSignature() {
        let sig = EngineWorker.signature(request())
        if sig != listSignature { listStats = [:]; listSignature = sig }
    }

    public var mapDone: Int { mapRows.compactMap { $0 }.count }
}
