/// What a caller's action enum provides so a `KeyMap` can dispatch it, name it in the
/// config file and list it in the help overlay.
///
///     enum InspectorAction: String, BindableAction {
///         case quit, help
///         var name: String { rawValue }
///         var helpText: String { ... }
///         var helpSection: String { "General" }
///     }
///
/// `allCases` order is the order of the help overlay (sections appear in order of their
/// first action).
public protocol BindableAction: Hashable, CaseIterable {
    /// Identifier used in the config file: lowercase, words joined by '-' ("toggle-help").
    var name: String { get }
    /// One line for the help overlay ("Show or hide this help").
    var helpText: String { get }
    /// Help overlay section ("Navigation", "Steering").
    var helpSection: String { get }
}
