// The method is written on the engine interface: its users see ModelEngine, EngineInput,
// EnginePass and the noise generator with it.
@_exported import AMPSEngine
