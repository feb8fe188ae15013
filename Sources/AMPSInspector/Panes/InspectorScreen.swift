import AMPSTerminal

/// Renders the whole inspector into a frame: a pure function of the state and the size.
public enum InspectorScreen {
    public static func render(_ state: inout InspectorState, size: Size, context: RenderContext,
                              keyMap: KeyMap<InspectorAction> = InspectorAction.defaultKeyMap) -> Frame {
        var frame = Frame(size: size)
        guard InspectorLayout.fits(size) else {
            frame.render(TooSmallScreen(current: size, required: InspectorLayout.minimum), in: frame.bounds, context: context)
            return frame
        }
        if let lost = state.engineLost {
            frame.render(ErrorScreen(title: "Engine stopped", message: lost, hint: "Nothing more can be computed. Press q to quit."),
                         in: frame.bounds, context: context)
            return frame
        }
        let layout = InspectorLayout(size: size, detail: state.detail)
        SteeringStrip.draw(state, into: &frame, area: layout.controls, context: context)
        InstanceListPane.draw(&state, into: &frame, area: layout.list, context: context)
        for (pane, rect) in layout.panes {
            switch pane {
            case .instance: InstancePane.draw(&state, into: &frame, area: rect, context: context)
            case .map: EntropyMapPane.draw(state, into: &frame, area: rect, context: context)
            case .sensitivity: SensitivityPane.draw(state, into: &frame, area: rect, context: context)
            case .layer: LayerPane.draw(state, into: &frame, area: rect, context: context)
            case .list, .steering: break
            }
        }
        InspectorStatus.draw(state, into: &frame, area: layout.status, context: context)
        if state.showHelp {
            let overlay = HelpOverlay(title: "amps keys", sections: keyMap.helpSections(), scrollOffset: state.helpScroll,
                                      footer: "? or Esc closes · keys remappable in $XDG_CONFIG_HOME/amps/config")
            frame.render(overlay, in: frame.bounds, context: context)
        }
        return frame
    }
}
