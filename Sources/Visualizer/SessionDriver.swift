// What the event loop needs from a session: its snapshot, and a way to carry out effects.
import DefragSession

/// A session the terminal UI can drive. The session module conforms its session type to this.
public protocol SessionDriver: AnyObject {
    /// The state to draw now. Read after every ``perform(_:)`` and on every redraw, so it should be cheap or
    /// cached by the conformer.
    var snapshot: SessionSnapshot { get }

    /// Carries out one effect. `.step` runs one pass (a no-op once the run is finished); `.reset` restarts
    /// the run from the workload's starting state; `.setAlgorithm`, `.setDialect` and `.setBudget` change the
    /// configuration, restarting the run when the engine cannot change it mid-run. `.quit` is handled by the
    /// event loop and never reaches the driver.
    /// - Parameter effect: what to do.
    /// - Throws: a failure to show to the user (the loop keeps running and shows its description).
    func perform(_ effect: Effect) throws
}
