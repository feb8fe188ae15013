import AMPSTerminal

/// Everything a key can do in the inspector. The help overlay and the config file's
/// `bind` lines are generated from this one table.
public enum InspectorAction: String, BindableAction, Sendable {
    case quit, back, help
    case nextPane = "next-pane", previousPane = "previous-pane"
    case paneList = "pane-list", paneInstance = "pane-instance", paneMap = "pane-map"
    case paneSensitivity = "pane-sensitivity", paneLayer = "pane-layer", paneSteering = "pane-steering"
    case up, down, pageUp = "page-up", pageDown = "page-down", top, bottom
    case filter, sortByMCR = "sort-by-mcr", sortBySensitivity = "sort-by-sensitivity", sortByFile = "sort-by-file"
    case alphaUp = "alpha-up", alphaDown = "alpha-down", alphaUpCoarse = "alpha-up-coarse", alphaDownCoarse = "alpha-down-coarse"
    case alphaZero = "alpha-zero", cycleMode = "cycle-mode"
    case layerNext = "layer-next", layerPrevious = "layer-previous"
    case windowLater = "window-later", windowEarlier = "window-earlier", windowWider = "window-wider", windowNarrower = "window-narrower"
    case samplesMore = "samples-more", samplesFewer = "samples-fewer", sigmaUp = "sigma-up", sigmaDown = "sigma-down"
    case toggleOrder = "toggle-order", cycleInstruction = "cycle-instruction", toggleValues = "toggle-values"
    case export, saveScreen = "save-screen"

    public var name: String { rawValue }

    public var helpSection: String {
        switch self {
        case .quit, .back, .help: return "General"
        case .nextPane, .previousPane, .paneList, .paneInstance, .paneMap, .paneSensitivity, .paneLayer, .paneSteering: return "Panes"
        case .up, .down, .pageUp, .pageDown, .top, .bottom, .filter, .sortByMCR, .sortBySensitivity, .sortByFile: return "Instances"
        case .alphaUp, .alphaDown, .alphaUpCoarse, .alphaDownCoarse, .alphaZero, .cycleMode,
             .windowLater, .windowEarlier, .windowWider, .windowNarrower: return "Steering"
        case .layerNext, .layerPrevious, .samplesMore, .samplesFewer, .sigmaUp, .sigmaDown,
             .toggleOrder, .cycleInstruction, .toggleValues: return "Analysis"
        case .export, .saveScreen: return "Files"
        }
    }

    public var helpText: String {
        switch self {
        case .quit: return "Quit"
        case .back: return "Close the overlay or filter; back to the list"
        case .help: return "Show or hide this help"
        case .nextPane: return "Focus the next pane"
        case .previousPane: return "Focus the previous pane"
        case .paneList: return "Instances pane"
        case .paneInstance: return "Instance pane (image, context, answers)"
        case .paneMap: return "Functional-entropy map pane"
        case .paneSensitivity: return "Sensitivity pane"
        case .paneLayer: return "Layer pane (logit lens)"
        case .paneSteering: return "Steering controls pane"
        case .up: return "Previous instance (layer in the map/layer panes, context line in the instance pane)"
        case .down: return "Next instance (layer in the map/layer panes, context line in the instance pane)"
        case .pageUp: return "Page up"
        case .pageDown: return "Page down"
        case .top: return "First instance"
        case .bottom: return "Last instance"
        case .filter: return "Filter instances by text or task"
        case .sortByMCR: return "Sort instances by MCR"
        case .sortBySensitivity: return "Sort instances by alpha_flip (sensitivity)"
        case .sortByFile: return "Original order"
        case .alphaUp: return "alpha + 0.25"
        case .alphaDown: return "alpha - 0.25"
        case .alphaUpCoarse: return "alpha + 1"
        case .alphaDownCoarse: return "alpha - 1"
        case .alphaZero: return "alpha = 0"
        case .cycleMode: return "Steering mode: none / uniform / AMPS / learned / L2S / AMPS learned"
        case .windowLater: return "Move the steering window one layer later"
        case .windowEarlier: return "Move the steering window one layer earlier"
        case .windowWider: return "Widen the steering window"
        case .windowNarrower: return "Narrow the steering window"
        case .layerNext: return "Next layer"
        case .layerPrevious: return "Previous layer"
        case .samplesMore: return "Monte Carlo samples x2"
        case .samplesFewer: return "Monte Carlo samples /2"
        case .sigmaUp: return "Noise scale x1.5"
        case .sigmaDown: return "Noise scale /1.5"
        case .toggleOrder: return "Option order: vision-first / text-first"
        case .cycleInstruction: return "Instruction line: none / vision / text"
        case .toggleValues: return "Show values in the map"
        case .export: return "Export this instance's diagnostics (JSON)"
        case .saveScreen: return "Save the screen as text"
        }
    }

    /// The default key table (vim keys as well as arrows).
    public static let defaultKeys: [InspectorAction: [Key]] = [
        .quit: [.character("q")], .back: [.escape], .help: [.character("?"), .function(1)],
        .nextPane: [.tab], .previousPane: [.backTab],
        .paneList: [.character("1")], .paneInstance: [.character("2")], .paneMap: [.character("3")],
        .paneSensitivity: [.character("4")], .paneLayer: [.character("5")], .paneSteering: [.character("6")],
        .up: [.up, .character("k")], .down: [.down, .character("j")],
        .pageUp: [.pageUp, .control("b")], .pageDown: [.pageDown, .control("f")],
        .top: [.home, .character("g")], .bottom: [.end, .character("G")],
        .filter: [.character("/")], .sortByMCR: [.character("M")], .sortBySensitivity: [.character("F")], .sortByFile: [.character("O")],
        .alphaUp: [.character("+"), .character("=")], .alphaDown: [.character("-")],
        .alphaUpCoarse: [.character(">")], .alphaDownCoarse: [.character("<")], .alphaZero: [.character("0")],
        .cycleMode: [.character("m")],
        .layerNext: [.character("]")], .layerPrevious: [.character("[")],
        .windowLater: [.character("w")], .windowEarlier: [.character("W")],
        .windowWider: [.character("}")], .windowNarrower: [.character("{")],
        .samplesMore: [.character("n")], .samplesFewer: [.character("N")],
        .sigmaUp: [.character("z")], .sigmaDown: [.character("Z")],
        .toggleOrder: [.character("o")], .cycleInstruction: [.character("i")], .toggleValues: [.character("v")],
        .export: [.character("e")], .saveScreen: [.character("s")],
    ]

    public static var defaultKeyMap: KeyMap<InspectorAction> { KeyMap(defaults: defaultKeys) }
}

/// The panes, in Tab order; the number keys pick them directly.
public enum Pane: Int, CaseIterable, Sendable {
    case list = 1, instance, map, sensitivity, layer, steering

    public var title: String {
        switch self {
        case .list: return "Instances"
        case .instance: return "Instance"
        case .map: return "Functional entropy"
        case .sensitivity: return "Sensitivity"
        case .layer: return "Layer"
        case .steering: return "Steering"
        }
    }
}
