import AMPSCore
import AMPSMethod
import AMPSModel
import AMPSTerminal
import Foundation

/// The inspector's main loop. The calling (main) thread owns the terminal; the engine
/// runs on its own thread. Keys are answered within one frame: handling a key only
/// changes the state and sends a request, it never waits for the engine.
public enum InspectorApp {
    public struct Setup {
        public var model: any ModelEngine
        public var template: PromptTemplate
        public var instances: InstanceSet
        public var resources: SteeringResources?
        public var window: ClosedRange<Int>
        public var perturbation: PerturbationSettings
        public var alpha: Double
        public var keyMap: KeyMap<InspectorAction>
        public var terminalSettings: TerminalSettings
        public var scoring: AnswerScoring

        public init(model: any ModelEngine, template: PromptTemplate, instances: InstanceSet, resources: SteeringResources?,
                    window: ClosedRange<Int>, perturbation: PerturbationSettings, alpha: Double,
                    keyMap: KeyMap<InspectorAction>, terminalSettings: TerminalSettings, scoring: AnswerScoring = .firstToken) {
            self.model = model; self.template = template; self.instances = instances; self.resources = resources
            self.window = window; self.perturbation = perturbation; self.alpha = alpha
            self.keyMap = keyMap; self.terminalSettings = terminalSettings; self.scoring = scoring
        }
    }

    /// The instances with their images, decoded when first shown (an MC² split names 2,000
    /// COCO photos: decoding them all up front would take seconds and gigabytes).
    public static func summaries(_ set: InstanceSet) -> [InstanceSummary] {
        let thumbnails = ThumbnailCache { path in
            (try? AMPSModel.RGBImage.load(path: path)).flatMap {
                AMPSTerminal.RGBImage(width: $0.width, height: $0.height, pixels: $0.pixels)
            }
        }
        return set.instances.map { InstanceSummary(instance: $0, thumbnails: thumbnails) }
    }

    public static func initialState(_ setup: Setup) -> InspectorState {
        var s = InspectorState(modelName: setup.model.name, dataName: URL(fileURLWithPath: setup.instances.path).lastPathComponent,
                               layerCount: setup.model.layerCount, instances: summaries(setup.instances),
                               hasVectors: setup.resources != nil, hasScaling: setup.resources?.scaling != nil,
                               hasScaler: setup.resources?.scaler != nil, window: setup.window, alpha: setup.alpha)
        s.hasL2S = setup.resources?.l2s != nil
        s.hasAmpsLearned = setup.resources?.ampsLearned[.vision] != nil
        s.perturbation = setup.perturbation
        s.engineLabel = (setup.model as? ProtocolEngine)?.label
        s.syncListSignature()
        return s
    }

    /// Runs until the user quits. Returns the process exit status.
    public static func run(_ setup: Setup) throws -> Int32 {
        let terminal = try NcursesTerminal(settings: setup.terminalSettings, environment: ProcessEnvironment.current())
        defer { terminal.shutdown() }
        let worker = EngineWorker(model: setup.model, template: setup.template, instances: setup.instances.instances,
                                  resources: setup.resources, scoring: setup.scoring)
        worker.start()
        defer { worker.stop() }
        var state = initialState(setup)
        worker.submit(state.request())
        var lastFrame = Frame(width: 1, height: 1)
        var screenshots = 0
        while true {
            let size = terminal.size
            lastFrame = InspectorScreen.render(&state, size: size, context: terminal.renderContext, keyMap: setup.keyMap)
            terminal.draw(lastFrame)
            let key = terminal.readKey(timeoutMilliseconds: 40)
            state.tick += 1
            for e in worker.drainEvents() { state.receive(e) }
            guard let key else { continue }
            var effects: [InspectorEffect] = []
            let layout = InspectorLayout(size: size, detail: state.detail)
            switch key {
            case .resize:
                terminal.invalidate()
            case .control("c"):
                effects = [.quit]
            case let .mouse(m):
                let inner = Box.contentArea(of: layout.list)
                if m.button == .left, inner.contains(x: m.x, y: m.y), m.y > inner.y {
                    effects = state.click(listRow: m.y - inner.y - 1 - (state.filterEditing ? 1 : 0))
                } else if m.button == .wheelUp {
                    effects = state.apply(.up)
                } else if m.button == .wheelDown {
                    effects = state.apply(.down)
                }
            default:
                if state.filterEditing {
                    effects = state.typeIntoFilter(key)
                } else if state.engineLost != nil || !InspectorLayout.fits(size) {
                    if setup.keyMap.action(for: key) == .quit { effects = [.quit] }
                } else if let action = setup.keyMap.action(for: key) {
                    effects = state.apply(action, visibleRows: InstanceListPane.visibleRows(layout.list, filterEditing: false))
                }
            }
            for effect in effects {
                switch effect {
                case .quit:
                    // Quitting from the error screen: the engine's line on stderr, status 1.
                    if let lost = state.engineLost {
                        terminal.shutdown()
                        FileHandle.standardError.write(Data("amps: \(MessageText.oneLine(lost, limit: 2000))\n".utf8))
                        return 1
                    }
                    return 0
                case .request:
                    state.syncListSignature()
                    worker.submit(state.request())
                case .export:
                    let id = state.selected?.instance.id ?? "none"
                    let path = "amps-diagnostics-\(id).json"
                    do {
                        try DiagnosticsExport.json(state).write(to: URL(fileURLWithPath: path))
                        state.message = "exported \(path)"
                    } catch { state.message = "cannot write \(path): \(error.localizedDescription)" }
                case .saveScreen:
                    screenshots += 1
                    let path = "amps-screen-\(screenshots).txt"
                    do {
                        try (lastFrame.plainText() + "\n").write(toFile: path, atomically: true, encoding: .utf8)
                        state.message = "saved \(path)"
                    } catch { state.message = "cannot write \(path)" }
                }
            }
        }
    }
}
