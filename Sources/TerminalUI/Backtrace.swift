// A crash in the UI must not leave the user at a prompt: Swift's runtime backtracer, when stdin and stdout
// are terminals, ends its report with "Press space to interact, D to debug, or any other key to quit" and
// waits ~30 s. It reads SWIFT_BACKTRACE once, when the process starts, so the only reliable way to turn
// that off for `watch` is to start the program again with `interactive=no` added.
#if canImport(Glibc)
import Glibc
#endif

public enum Backtracer {
    /// The SWIFT_BACKTRACE value `watch` needs: `current` with `interactive=no` added, or nil when `current`
    /// already says `interactive=` (the user's choice stands) and nothing needs to change.
    static func nonInteractiveSetting(current: String?) -> String? {
        let current = current ?? ""
        let settings = current.split(separator: ",").map { $0.drop(while: { $0 == " " }) }
        if settings.contains(where: { $0.hasPrefix("interactive=") }) { return nil }
        return current.isEmpty ? "interactive=no" : current + ",interactive=no"
    }

    /// Replaces the process with itself, same arguments, SWIFT_BACKTRACE set to
    /// ``nonInteractiveSetting(current:)``; returns without doing anything when the setting is already there
    /// (so the second start goes on) or when the program cannot be started again (then a crash report may
    /// wait for a key, as before). Call it before opening files or threads: nothing of this process survives.
    public static func restartWithoutInteractiveReport(arguments: [String] = CommandLine.arguments) {
        #if os(Linux)
        guard let value = nonInteractiveSetting(current: getenv("SWIFT_BACKTRACE").map { String(cString: $0) }) else { return }
        guard setenv("SWIFT_BACKTRACE", value, 1) == 0 else { return }
        // The executable's own path, not /proc/self/exe: the process name (ps, top) comes from the path run.
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { return }
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        // Still here: exec failed. Go on in this process.
        for pointer in argv { free(pointer) }
        #endif
    }
}
